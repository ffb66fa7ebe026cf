import { z } from 'zod';
import type { NotificationEvent } from '../../domain/notification.js';
import { postJson } from '../http-post.js';
import {
  type Interactive,
  type Notifier,
  type NotifierDeps,
  type NotifierKind,
  type NotifierSpec,
  readSource,
  type ValueSource,
  valueSourceSchema,
} from '../notifier.js';
import type { SendResult } from '../types.js';
import { readResponseTarget, writeResponseTarget } from './keys.js';
import { slackMessage } from './messages.js';

type SlackFields = { url: ValueSource };

const fields: z.ZodType<SlackFields> = z.strictObject({
  url: valueSourceSchema,
  secret: z
    .undefined({
      error: 'Slack notifiers sign nothing: Slack verifies its incoming webhook URL itself',
    })
    .optional(),
});

/** Slack through an incoming webhook: Block Kit with a plain-text fallback; approvals answered in place. */
export function createSlackNotifier(spec: NotifierSpec<SlackFields>, deps: NotifierDeps): Notifier {
  const post = (url: string, body: unknown): Promise<SendResult> =>
    postJson(deps.http, url, JSON.stringify(body), { timeoutMs: deps.timeoutMs, now: deps.now });

  async function send(event: NotificationEvent, responseUrl: string | undefined): Promise<SendResult> {
    const message = slackMessage(event, spec.name);
    if (responseUrl) {
      // The message with the buttons becomes the decision: the channel keeps one story, not two messages.
      const replaced = await post(responseUrl, { replace_original: true, ...message });
      // A response_url lives 30 minutes and 5 uses; once it is spent, say it in a new message instead.
      if (replaced.outcome !== 'dead') return replaced;
    }
    const url = await readSource(deps, spec.url, 'URL');
    if ('failed' in url) return url.failed;
    return post(url.value, message);
  }

  const interactive: Interactive = {
    answerInPlace: (healId, replyUrl) =>
      writeResponseTarget(deps.memory, healId, { notifier: spec.name, url: replyUrl }),
    forget: (healId) => writeResponseTarget(deps.memory, healId, null),
    reply(replyUrl, message) {
      deps.track(
        post(replyUrl, message)
          .then((d) => {
            if (d.outcome !== 'sent')
              deps.log.warn({ status: d.status, error: d.error }, 'Slack reply not delivered');
          })
          // The error object may carry the URL: only its name is logged.
          .catch((err: unknown) => deps.log.error({ error: (err as Error)?.name }, 'Slack reply failed')),
      );
    },
  };

  return {
    name: spec.name,
    type: 'slack',
    minSeverity: spec.minSeverity,
    async notify({ event, lastAttempt }) {
      // The approval message a button was clicked in becomes the decision, when this notifier posted it: the
      // response_url is a credential for that channel, so only the notifier that showed the buttons uses it.
      const target =
        event.kind === 'approval.decided' ? await readResponseTarget(deps.memory, event.heal.id) : null;
      const mine = target?.notifier === spec.name ? target.url : undefined;
      const delivery = await send(event, mine);
      // Settled: the response_url is spent (or expired), and is a credential not to keep.
      if (mine && (delivery.outcome !== 'retry' || lastAttempt)) await interactive.forget(event.heal.id);
      return delivery;
    },
    interactive,
  };
}

export const slackNotifier: NotifierKind<SlackFields> = {
  type: 'slack',
  fields,
  builtin: {
    name: 'slack',
    settings: ['slackWebhookUrl'],
    fields: (settings) =>
      typeof settings.slackWebhookUrl === 'string' && settings.slackWebhookUrl !== ''
        ? { url: { value: settings.slackWebhookUrl } }
        : null,
  },
  create: createSlackNotifier,
};
