import type { LightMyRequestResponse } from 'fastify';
import { vi } from 'vitest';
import type { TestApp } from './build-test-app.js';

/**
 * How many times a body was parsed as JSON while `send` ran: 0 when the webhook answered it by its digest. The
 * JSON parser behind every body calls JSON.parse; nothing else on a delivery's way does.
 */
export async function parsesDuring<T>(send: () => Promise<T>): Promise<{ result: T; parses: number }> {
  const spy = vi.spyOn(JSON, 'parse');
  try {
    const result = await send();
    return { result, parses: spy.mock.calls.length };
  } finally {
    spy.mockRestore();
  }
}

/** A delivery through the app, and whether it was parsed (the long way) or answered by its digest. */
export async function deliverCounted(
  t: TestApp,
  body: string,
): Promise<{ res: LightMyRequestResponse; parsed: boolean }> {
  const { result, parses } = await parsesDuring(() => t.deliver(body));
  return { res: result, parsed: parses > 0 };
}

const watched = [
  'salve_alerts_received_total',
  'salve_alerts_deduplicated_total',
  'salve_webhook_requests_total',
  'salve_webhook_ack_seconds_count',
];

/** The webhook's counters as /metrics shows them, by series. */
export async function webhookCounters(t: TestApp): Promise<Record<string, number>> {
  const text = (await t.app.inject({ url: '/metrics' })).body;
  const counters: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [series, value] = line.split(' ');
    if (series && value && watched.some((name) => series.startsWith(name))) counters[series] = Number(value);
  }
  return counters;
}

/** What a delivery changed in the webhook's counters. */
export function counterDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [series, value] of Object.entries(after)) {
    const moved = value - (before[series] ?? 0);
    if (moved !== 0) delta[series] = moved;
  }
  return delta;
}
