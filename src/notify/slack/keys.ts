import type { NotifierMemory } from '../notifier.js';

// What Slack's notifier and its interactions keep in the store's settings. The key formats are stored data:
// changing one would forget what replicas and earlier runs wrote.

/** A Slack signature already used: a replay of the same request is refused, across restarts. */
export const slackSeenKey = (signature: string) => `slack-seen:${signature}`;

/** The response_url of the approval message a button was clicked in, and the notifier that posted it. */
export const slackResponseKey = (healId: string) => `slack-response:${healId}`;

export type ResponseTarget = { notifier: string; url: string };

export async function readResponseTarget(
  memory: NotifierMemory,
  healId: string,
): Promise<ResponseTarget | null> {
  const raw = await memory.get(slackResponseKey(healId));
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<ResponseTarget>;
    return typeof parsed.notifier === 'string' && typeof parsed.url === 'string'
      ? { notifier: parsed.notifier, url: parsed.url }
      : null;
  } catch {
    return null;
  }
}

export function writeResponseTarget(memory: NotifierMemory, healId: string, target: ResponseTarget | null) {
  return memory.set(slackResponseKey(healId), target === null ? null : JSON.stringify(target));
}
