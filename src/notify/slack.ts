import type { AxiosInstance } from 'axios';
import type { NotifierSpec, ValueSource } from './config.js';
import { postJson } from './http-post.js';
import { slackMessage } from './slack-messages.js';
import type { Delivery, Notifier } from './types.js';

export type NotifierDeps = {
  http: AxiosInstance;
  /** Reads a URL or secret at send time, so a rotated Secret needs no restart. */
  resolve(source: ValueSource): Promise<string>;
  timeoutMs: number;
  now: () => Date;
};

/** Reads a URL or secret; a missing variable or file is worth retrying (someone may be fixing it). */
export async function readSource(
  deps: NotifierDeps,
  source: ValueSource,
  what: string,
): Promise<{ value: string } | { failed: Delivery }> {
  try {
    return { value: await deps.resolve(source) };
  } catch (err) {
    // The reader's message names the variable or file, never a value.
    const why = err instanceof Error ? err.message : 'cannot be read';
    return { failed: { outcome: 'retry', status: null, error: `notifier ${what}: ${why}` } };
  }
}

/** Slack through an incoming webhook: Block Kit with a plain-text fallback. */
export function createSlackNotifier(spec: NotifierSpec, deps: NotifierDeps): Notifier {
  const post = (url: string, body: unknown) =>
    postJson(deps.http, url, JSON.stringify(body), { timeoutMs: deps.timeoutMs, now: deps.now });
  return {
    name: spec.name,
    type: 'slack',
    minSeverity: spec.minSeverity,
    async send({ event }) {
      const message = slackMessage(event, spec.name);
      const responseUrl = event.kind === 'approval.decided' ? event.approval?.responseUrl : undefined;
      if (responseUrl) {
        // The message with the buttons becomes the decision: the channel keeps one story, not two messages.
        const replaced = await post(responseUrl, { replace_original: true, ...message });
        // A response_url lives 30 minutes and 5 uses; once it is spent, say it in a new message instead.
        if (replaced.outcome !== 'dead') return replaced;
      }
      const url = await readSource(deps, spec.url, 'URL');
      if ('failed' in url) return url.failed;
      return post(url.value, message);
    },
  };
}

/** One-off replies through a Slack response_url (ephemeral notices to whoever clicked); best effort. */
export type SlackReplier = (responseUrl: string, message: Record<string, unknown>) => Promise<Delivery>;

export function createSlackReplier(deps: NotifierDeps): SlackReplier {
  return (responseUrl, message) =>
    postJson(deps.http, responseUrl, JSON.stringify(message), { timeoutMs: deps.timeoutMs, now: deps.now });
}
