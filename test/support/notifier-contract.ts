import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { AuditRecord } from '../../src/domain/audit.js';
import { backoffDelay } from '../../src/domain/backoff.js';
import type { NotificationEvent } from '../../src/domain/notification.js';
import type { Dispatcher, DispatcherSettings } from '../../src/notify/dispatcher.js';
import { exampleEvents } from '../../src/notify/examples.js';
import type { NotifierKind } from '../../src/notify/notifier.js';
import { prepareNotify } from '../../src/notify/setup.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { type FakeClock, fakeClock } from './fake-clock.js';
import type { Answer } from './fake-slack.js';
import { captureLogs, type LogCapture } from './log-capture.js';
import { alertOf, delivery, matchFor, testAuditKey } from './store-contract.js';

/** What the peer received: one HTTP request. */
export type PeerRequest = {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
};

/** A local server standing in for the notifier's service, following its documented contract. */
export type NotifierPeer = {
  requests(): PeerRequest[];
  /** The next `times` requests get this answer (a status, with Retry-After or a body), or none at all. */
  answerNext(answer: Answer, times?: number): void;
  close(): Promise<void>;
};

export type NotifierContractSetup = {
  /** The notifier type under test, as the registry lists it. */
  kind: NotifierKind;
  /**
   * A fresh peer, the notifier's entry in SALVE_NOTIFIERS_FILE pointing at it (without name and type), the
   * environment its sources read, and every secret value in play: none may appear in a log line or a record.
   */
  start(): Promise<{
    peer: NotifierPeer;
    entry: Record<string, unknown>;
    env: Record<string, string>;
    secrets: string[];
  }>;
  /** Checks that `request` is `event` as this notifier renders it (throws when it is not). */
  rendered(request: PeerRequest, event: NotificationEvent, notifier: string): void;
  /** The events this notifier tells its peer; the others it answers `skipped`. Default: every event. */
  tells?(event: NotificationEvent): boolean;
};

const name = 'contract';
const settings: Omit<DispatcherSettings, 'owner'> = {
  pollMs: 60_000,
  leaseMs: 60_000,
  batch: 50,
  maxAttempts: 3,
  backoff: { baseMs: 1_000, maxMs: 60_000, jitter: 0.5 },
};
const timeoutMs = 300;

type Harness = {
  peer: NotifierPeer;
  secrets: string[];
  store: Store;
  clock: FakeClock;
  logs: LogCapture;
  dispatcher: Dispatcher;
  /** Commits `event` into the outbox for the notifier under test, as a heal move does. */
  enqueue(event: NotificationEvent): Promise<NotificationEvent>;
  audit(type: string): Promise<AuditRecord[]>;
  close(): Promise<void>;
};

async function startHarness(setup: NotifierContractSetup): Promise<Harness> {
  const { peer, entry, env, secrets } = await setup.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-notifier-'));
  const notifiersFile = path.join(dir, 'notifiers.yaml');
  fs.writeFileSync(notifiersFile, YAML.stringify({ notifiers: [{ name, type: setup.kind.type, ...entry }] }));
  const clock = fakeClock();
  const logs = captureLogs();
  const store = openSqliteStore({ file: path.join(dir, 'salve.db'), clock, auditKey: testAuditKey });
  await store.migrate();
  // The production wiring: the notifiers file read, the notifier built from its type, the real dispatcher.
  const { dispatcher } = prepareNotify({
    settings: { notifiersFile },
    env,
    clock,
    log: logs.log,
    timeoutMs,
    kinds: [setup.kind],
  }).start({
    store,
    metrics: createMetrics(),
    policies: { current: () => ({ policies: [], loadedAt: 'contract' }) },
    owner: 'contract',
    settings,
    random: () => 0,
  });
  const alert = alertOf({ alertname: 'ModelServingErrorRate', deployment: 'scorer' });
  const healId = (await store.ingest(delivery([{ alert, outcomes: [matchFor('scorer')] }]))).opened[0]!.id;
  const now = clock.now().getTime();
  await store.claimDueHeals({
    now: new Date(now).toISOString(),
    owner: 'contract',
    leaseUntil: new Date(now + 86_400_000).toISOString(),
    limit: 1,
  });
  return {
    peer,
    secrets,
    store,
    clock,
    logs,
    dispatcher,
    async enqueue(event) {
      const own = { ...event, heal: { ...event.heal, id: healId } };
      await store.transition({
        id: healId,
        owner: 'contract',
        set: {},
        audit: [],
        notify: [{ notifier: name, event: own }],
      });
      return own;
    },
    audit: (type) => store.queryAudit({ type, limit: 1000 }),
    async close() {
      await dispatcher.stop();
      await peer.close().catch(() => undefined); // a test may have closed it already
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * What every notifier promises the durable outbox: each kind of event rendered and sent; a peer's trouble an
 * outcome the dispatcher acts on (retried with backoff, Retry-After honoured, a permanent refusal dead-lettered
 * at once, a silent peer timed out); and no secret (URL, token, signing key) in any log line or audit record.
 */
export function runNotifierContract(setup: NotifierContractSetup): void {
  const tells = setup.tells ?? (() => true);
  const told = exampleEvents.map((e) => e.event).filter(tells);
  /** An event this notifier tells, for the failure cases. */
  const opened = told[0]!;

  describe(`${setup.kind.type}: notifier contract`, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness(setup);
    });
    afterEach(async () => {
      await h.close();
    });

    it('renders and sends each kind of event it tells, in order, audited as sent; the rest skipped, saying why', async () => {
      expect(told.length).toBeGreaterThan(0);
      const all: NotificationEvent[] = [];
      for (const { event } of exampleEvents) all.push(await h.enqueue(event));
      await h.dispatcher.drain();
      const sent = all.filter(tells);
      const requests = h.peer.requests();
      expect(requests).toHaveLength(sent.length);
      sent.forEach((event, i) => {
        setup.rendered(requests[i]!, event, name);
      });
      expect(await h.store.countPendingOutbox()).toBe(0);
      const records = await h.audit('notification.sent');
      expect(records.map((r) => r.data.kind)).toEqual(sent.map((e) => e.kind));
      for (const record of records)
        expect(record).toMatchObject({ outcome: 'sent', data: { notifier: name } });
      const skipped = await h.audit('notification.skipped');
      expect(skipped.map((r) => r.data.kind)).toEqual(all.filter((e) => !tells(e)).map((e) => e.kind));
      for (const record of skipped) expect(record.data.why).toEqual(expect.any(String));
    });

    it('retries a 5xx after the dispatcher backoff, and not before', async () => {
      await h.enqueue(opened);
      h.peer.answerNext({ status: 503, body: 'unavailable' });
      expect(await h.dispatcher.runDue()).toBe(1);
      const delay = backoffDelay(0, settings.backoff, () => 0);
      const [failed] = await h.audit('notification.failed');
      expect(failed).toMatchObject({
        outcome: 'retry',
        data: { status: 503, nextAttemptAt: new Date(h.clock.now().getTime() + delay).toISOString() },
      });
      await h.clock.advance(delay - 1);
      expect(await h.dispatcher.runDue()).toBe(0);
      await h.clock.advance(1);
      expect(await h.dispatcher.runDue()).toBe(1);
      expect(h.peer.requests()).toHaveLength(2);
      expect(await h.audit('notification.sent')).toHaveLength(1);
    });

    it('honours 429 Retry-After over its own backoff', async () => {
      await h.enqueue(opened);
      h.peer.answerNext({ status: 429, retryAfter: '30' });
      await h.dispatcher.runDue();
      const [failed] = await h.audit('notification.failed');
      expect(failed).toMatchObject({
        data: { status: 429, nextAttemptAt: new Date(h.clock.now().getTime() + 30_000).toISOString() },
      });
      await h.clock.advance(29_000);
      expect(await h.dispatcher.runDue()).toBe(0);
      await h.clock.advance(1_000);
      expect(await h.dispatcher.runDue()).toBe(1);
      expect(await h.store.countPendingOutbox()).toBe(0);
    });

    it('dead-letters a permanent refusal at once, and never sends it again', async () => {
      await h.enqueue(opened);
      h.peer.answerNext({ status: 400, body: 'invalid_payload' });
      await h.dispatcher.runDue();
      const [dead] = await h.audit('notification.dead');
      expect(dead).toMatchObject({
        outcome: 'dead',
        data: { status: 400, error: expect.stringContaining('HTTP 400') },
      });
      await h.clock.advance(3_600_000);
      expect(await h.dispatcher.runDue()).toBe(0);
      expect(h.peer.requests()).toHaveLength(1);
      expect(await h.store.countPendingOutbox()).toBe(0);
    });

    it('gives up after the dispatcher attempts against a peer that keeps failing: a dead letter', async () => {
      await h.enqueue(opened);
      h.peer.answerNext({ status: 500 }, settings.maxAttempts);
      for (let i = 0; i < settings.maxAttempts; i++) {
        await h.dispatcher.runDue();
        await h.clock.advance(settings.backoff.maxMs * 2);
      }
      expect(h.peer.requests()).toHaveLength(settings.maxAttempts);
      const [dead] = await h.audit('notification.dead');
      expect(dead?.data.error).toContain(`gave up after ${settings.maxAttempts} attempts`);
    });

    it('times out a peer that never answers, and retries', async () => {
      await h.enqueue(opened);
      h.peer.answerNext({ hang: true });
      await h.dispatcher.runDue();
      const [failed] = await h.audit('notification.failed');
      expect(failed).toMatchObject({ outcome: 'retry', data: { error: `no answer within ${timeoutMs} ms` } });
    });

    it('keeps every secret out of logs and records: failures, an echoing peer, a peer that is gone', async () => {
      const three = [0, 1, 2].map((i) => told[i % told.length]!);
      for (const event of three) await h.enqueue(event);
      h.peer.answerNext({ status: 500, body: h.secrets.join(' ') });
      await h.dispatcher.runDue();
      h.peer.answerNext({ status: 404, body: h.secrets[0]! });
      await h.clock.advance(settings.backoff.maxMs * 2);
      await h.dispatcher.runDue();
      await h.peer.close();
      await h.enqueue(opened);
      await h.dispatcher.runDue();
      const outcomes = (await h.store.queryAudit({ limit: 1000 }))
        .filter((r) => r.type.startsWith('notification.'))
        .map((r) => r.outcome);
      expect(outcomes.sort()).toEqual(['dead', 'retry', 'retry', 'sent', 'sent']);
      const text = `${JSON.stringify(await h.store.queryAudit({ limit: 1000 }))}\n${h.logs.text()}`;
      for (const secret of h.secrets) expect(text).not.toContain(secret);
    });
  });
}
