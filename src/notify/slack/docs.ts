import { exampleEvents } from '../examples.js';
import { slackMessage } from './messages.js';

/** The examples section of docs/notifications.md, generated from the builders so it stays true. */
export function renderExamples(notifier = 'slack'): string {
  return exampleEvents
    .map(({ title, event }) => {
      const message = slackMessage(event, notifier);
      return [
        `### ${title} (\`${event.kind}\`)`,
        '',
        'Fallback text:',
        '',
        '```text',
        message.text,
        '```',
        '',
        'Posted to the incoming webhook (Block Kit, with the fallback as `text`):',
        '',
        '```json',
        JSON.stringify(message, null, 2),
        '```',
        '',
      ].join('\n');
    })
    .join('\n');
}

/** One line per kind: the fallback texts, for the README. */
export function renderFallbackTable(notifier = 'slack'): string {
  const rows = exampleEvents.map(
    ({ title, event }) => `| ${title} | \`${slackMessage(event, notifier).text.replace(/\|/g, '\\|')}\` |`,
  );
  return ['| Message | Fallback text |', '| --- | --- |', ...rows].join('\n');
}
