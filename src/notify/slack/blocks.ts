import { targetLabel } from '../../actions/step.js';
import type { NotificationEvent } from '../../domain/notification.js';
import { esc, link } from './format.js';

export type TextObject = { type: 'mrkdwn'; text: string } | { type: 'plain_text'; text: string };

export type Button = {
  type: 'button';
  action_id: string;
  value: string;
  text: { type: 'plain_text'; text: string };
  style?: 'primary' | 'danger';
  confirm?: {
    title: { type: 'plain_text'; text: string };
    text: TextObject;
    confirm: { type: 'plain_text'; text: string };
    deny: { type: 'plain_text'; text: string };
  };
};

export type Block =
  | { type: 'section'; block_id?: string; text: TextObject }
  | { type: 'context'; block_id?: string; elements: TextObject[] }
  | { type: 'actions'; block_id: string; elements: Button[] };

/** What salve posts: Block Kit blocks and the plain-text fallback used in notifications and by screen readers. */
export type SlackMessage = { text: string; blocks: Block[] };

export const approveActionId = 'salve_approve';
export const rejectActionId = 'salve_reject';
/** The approval buttons' block; the suffix names the notifier that showed them, so a click updates that message. */
export const approvalBlockPrefix = 'salve_approval:';

export const mrkdwn = (text: string): TextObject => ({ type: 'mrkdwn', text });
export const plain = (text: string) => ({ type: 'plain_text' as const, text });
export const section = (text: string, block_id?: string): Block => ({
  type: 'section',
  ...(block_id ? { block_id } : {}),
  text: mrkdwn(text),
});

export const code = (text: string) => `\`${esc(text).replace(/`/g, "'")}\``;

/** The heal id and target in every message: one heal's messages read as one story. */
export function storyContext(event: NotificationEvent): Block {
  const { heal } = event;
  const parts = [`heal ${code(heal.id)}`, esc(targetLabel(heal.target)), `policy ${code(heal.policy)}`];
  if (heal.dryRun) parts.push('*dry run*');
  return { type: 'context', block_id: 'salve_story', elements: [mrkdwn(parts.join(' · '))] };
}

/** Links to the alert's source, the Alertmanager that sent it and the heal in salve's API, when known. */
export function linksContext(event: NotificationEvent): Block | null {
  const links = [
    link(event.alert?.generatorURL, 'alert source'),
    link(event.alert?.alertmanagerURL, 'Alertmanager'),
    link(event.heal.url, 'heal in salve'),
  ].filter((l): l is string => l !== null);
  if (links.length === 0) return null;
  return { type: 'context', block_id: 'salve_links', elements: [mrkdwn(links.join(' · '))] };
}

/** `ModelServingErrorRate (critical): Error rate above 5%`, or the manual trigger. */
export function alertLine(event: NotificationEvent): string {
  const { alert } = event;
  if (!alert) return '*Trigger:* opened by hand';
  const severity = alert.severity ? ` · ${esc(alert.severity)}` : '';
  const summary = alert.summary ? `\n*Summary:* ${esc(alert.summary)}` : '';
  return `*Alert:* ${esc(alert.alertname)}${severity}${summary}`;
}

export function planLine(event: NotificationEvent): string {
  const steps = event.heal.steps.map((s, i) => `${i + 1}. ${code(s.action)}`);
  return `*Plan:* ${steps.join(' → ') || 'no steps'}`;
}

/** The fallback's plain words: no mrkdwn markup beyond the escapes Slack requires. */
export function fallbackAlert(event: NotificationEvent): string {
  const { alert } = event;
  if (!alert) return 'opened by hand';
  return `${esc(alert.alertname)}${alert.severity ? ` (${esc(alert.severity)})` : ''}`;
}

/** `slack:U123` is a Slack user salve can mention; anyone else (`token:operator`) is named as is. */
export function whoText(actor: string | undefined): string {
  if (!actor) return 'someone';
  const slackUser = /^slack:([UW][A-Z0-9]{2,20})$/.exec(actor);
  return slackUser ? `<@${slackUser[1]}>` : esc(actor);
}
