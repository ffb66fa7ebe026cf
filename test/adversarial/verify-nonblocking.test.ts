import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuditInput } from '../../src/domain/audit.js';
import { type Backend, postgresBackend, sqliteBackend } from '../support/backends.js';
import { payload } from '../support/fixtures.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

// Class 4: GET /v1/audit/verify needs only the viewer scope. A verify of a long chain must not hold up the
// webhook or the probes: the walk yields to the event loop as it goes, and the routine walk starts from the
// last verified checkpoint instead of the beginning. Nothing here measures time: it counts event-loop turns
// and checks that other requests are answered while a verify is still under way.

const RECORDS = 60_000;

function note(n: number): AuditInput {
  return {
    type: 'test.note',
    actor: 'salve',
    healId: null,
    policy: null,
    target: null,
    outcome: null,
    data: { n, text: 'x'.repeat(100) },
  };
}

async function fill(b: Backend, count: number): Promise<void> {
  for (let start = 0; start < count; start += 5_000) {
    await b.t.deps.store.appendAudit(Array.from({ length: 5_000 }, (_, i) => note(start + i)));
  }
}

/** Counts event-loop turns until `stop()`: a walk that never yields lets none happen. */
function turnCounter() {
  let turns = 0;
  let running = true;
  const tick = () => {
    turns += 1;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop: () => {
      running = false;
      return turns;
    },
  };
}

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

describe.each([
  ['sqlite', () => sqliteBackend()],
  ['postgres', () => postgresBackend(server)],
] as const)('on %s', (_kind, open) => {
  let b: Backend;
  afterEach(async () => {
    await b?.close();
  });

  it('a full verify gives the event loop many turns, and a webhook and /healthz are answered meanwhile', async () => {
    b = await open();
    await fill(b, RECORDS);
    const turns = turnCounter();
    let settled = false;
    const verifying = b.t.app
      .inject({ url: '/v1/audit/verify?full=true', headers: b.t.auth('viewer') })
      .finally(() => {
        settled = true;
      });
    const delivered = await b.t.deliver(
      payload([
        {
          labels: {
            alertname: 'ModelServingErrorRate',
            severity: 'page',
            namespace: 'ml-prod',
            deployment: 'x',
          },
        },
      ]),
    );
    const healthz = await b.t.app.inject({ url: '/healthz' });
    const answeredWhileVerifying = !settled;
    const result = (await verifying).json();
    const count = turns.stop();
    expect(delivered.statusCode).toBe(202);
    expect(healthz.statusCode).toBe(200);
    expect(answeredWhileVerifying).toBe(true);
    expect(result).toMatchObject({ ok: true, problems: [] });
    expect(result.records).toBeGreaterThanOrEqual(RECORDS);
    // At least one turn per page of records read; a walk in one piece would allow none.
    expect(count).toBeGreaterThan(RECORDS / 1_000);
  }, 120_000); // 60 000 records sealed, written and walked: minutes on a loaded two-core machine, not seconds

  it('the routine verify starts from the last verified checkpoint, and a full one still sees older damage', async () => {
    b = await open();
    await fill(b, 5_000);
    const first = await b.t.deps.anchor.verifyNew();
    expect(first).toMatchObject({ ok: true, from: 0 });
    await b.t.deps.store.appendAudit([note(1), note(2), note(3)]);
    const next = await b.t.deps.anchor.verifyNew();
    expect(next).toMatchObject({ ok: true, from: first.headSeq, records: 3, headSeq: first.headSeq + 3 });
    // Damage behind the checkpoint: the incremental walk does not re-read it, a full walk does.
    await b.sql('UPDATE audit SET actor = $1 WHERE seq = $2', ['mallory', 100]);
    expect(await b.t.deps.anchor.verifyNew()).toMatchObject({ ok: true, records: 0 });
    expect(await b.t.deps.anchor.verifyAll()).toMatchObject({
      ok: false,
      problems: [{ seq: 100, reason: 'content does not match its seal' }],
    });
  });

  it('callers asking at the same time share one walk', async () => {
    b = await open();
    await fill(b, 10_000);
    const store = b.t.deps.store;
    const walk = store.verifyAudit.bind(store);
    let walks = 0;
    store.verifyAudit = (options) => {
      walks += 1;
      return walk(options);
    };
    const ask = (query: string) =>
      b.t.app.inject({ url: `/v1/audit/verify${query}`, headers: b.t.auth('viewer') });
    const answers = await Promise.all([ask('?full=true'), ask('?full=true'), ask(''), ask(''), ask('')]);
    expect(answers.map((a) => a.json().ok)).toEqual([true, true, true, true, true]);
    // Five viewers, two walks: one full, one incremental.
    expect(walks).toBe(2);
  });
});
