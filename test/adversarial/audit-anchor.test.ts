import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateAuditKey } from '../../src/audit/key.js';
import { loadConfig } from '../../src/config/load.js';
import { createDeps } from '../../src/deps.js';
import { auditKeyFrom, keyedHash, legacyHash } from '../../src/store/audit-chain.js';
import type { AuditRow } from '../../src/store/rows.js';
import { type Backend, postgresBackend, sqliteBackend } from '../support/backends.js';
import { buildTestApp, prepareSalveDir } from '../support/build-test-app.js';
import { type FakeHttp, startFakeHttp } from '../support/fake-webhook.js';
import { payload } from '../support/fixtures.js';
import { captureLogs } from '../support/log-capture.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { runCli } from '../support/run-cli.js';

// Class 3: someone who can write the database deletes the tail, empties the table, or rewrites a record and
// re-hashes everything after it. Without the key (kept outside the database) they cannot re-seal the chain,
// and against a checkpoint salve published they cannot hide a deletion either.

const alert = (deployment: string) => ({
  labels: { alertname: 'ModelServingErrorRate', severity: 'critical', namespace: 'ml-prod', deployment },
});

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

/** Some history: deliveries that open heals, a pause and its end. */
async function history(b: Backend): Promise<void> {
  for (const d of ['a', 'b', 'c', 'd']) await b.t.deliver(payload([alert(`scorer-${d}`)]));
  for (const method of ['PUT', 'DELETE'] as const)
    await b.t.app.inject({ method, url: '/v1/pause', headers: b.t.auth('operator'), payload: {} });
}

async function rows(b: Backend): Promise<AuditRow[]> {
  return b.sql<AuditRow>('SELECT * FROM audit ORDER BY seq');
}

/** The attacker's re-hash: records `from` to `to`, relinked and hashed as the unkeyed scheme was. */
async function rehashUnkeyed(b: Backend, from: number, to = Number.POSITIVE_INFINITY): Promise<void> {
  let prev = (await rows(b)).find((r) => Number(r.seq) === from - 1)?.hash ?? '0'.repeat(64);
  for (const r of (await rows(b)).filter((x) => Number(x.seq) >= from && Number(x.seq) <= to)) {
    const hash = legacyHash({
      seq: Number(r.seq),
      at: r.at,
      type: r.type,
      actor: r.actor,
      healId: r.heal_id,
      policy: r.policy,
      target: r.target,
      outcome: r.outcome,
      data: JSON.parse(r.data),
      prevHash: prev,
    });
    await b.sql('UPDATE audit SET prev_hash = $1, hash = $2, scheme = 1 WHERE seq = $3', [prev, hash, r.seq]);
    prev = hash;
  }
}

const verify = async (b: Backend, query = '') =>
  (await b.t.app.inject({ url: `/v1/audit/verify${query}`, headers: b.t.auth('viewer') })).json();

describe.each([
  ['sqlite', () => sqliteBackend()],
  ['postgres', () => postgresBackend(server)],
] as const)('on %s', (_kind, open) => {
  let b: Backend;
  afterEach(async () => {
    await b?.close();
  });

  it('a deleted tail is found against the published checkpoint, and by the running salve itself', async () => {
    b = await open();
    await history(b);
    const published = await b.t.deps.anchor.checkpoint();
    expect(published).toMatchObject({ ok: true });
    const checkpoint = `${published.headSeq}:${published.head}`;
    await b.sql('DELETE FROM audit WHERE seq > $1', [published.headSeq - 3]);
    // The remaining prefix is a valid chain by itself: only the checkpoint shows what is gone.
    expect(await verify(b, '?full=true')).toMatchObject({ ok: true });
    expect(await verify(b, `?expect=${checkpoint}`)).toMatchObject({
      ok: false,
      checkpoint: { seq: published.headSeq, ok: false },
      problems: [
        {
          seq: published.headSeq,
          reason: `the chain ends at #${published.headSeq - 3}, before the checkpoint #${published.headSeq}: records were deleted`,
        },
      ],
    });
    // The running salve verified up to its checkpoint: its next incremental walk sees the record is gone.
    expect(await verify(b)).toMatchObject({
      ok: false,
      problems: [
        { seq: published.headSeq, reason: expect.stringContaining('verified earlier and now missing') },
      ],
    });
    expect(await b.t.deps.metrics.registry.getSingleMetricAsString('salve_audit_broken_records')).toMatch(
      / 1$/,
    );
  });

  it('an emptied table is found, with or without a checkpoint', async () => {
    b = await open();
    await history(b);
    const published = await b.t.deps.anchor.checkpoint();
    await b.sql('DELETE FROM audit');
    expect(await verify(b, '?full=true')).toMatchObject({
      ok: false,
      problems: [{ seq: 1, reason: expect.stringContaining('the chain is empty') }],
    });
    expect(await verify(b, `?expect=${published.headSeq}:${published.head}`)).toMatchObject({
      ok: false,
      checkpoint: { ok: false },
    });
  });

  it('a rewritten record re-hashed with everything after it is found: unkeyed records after keyed ones', async () => {
    b = await open();
    await history(b);
    await b.sql('UPDATE audit SET actor = $1 WHERE seq = $2', ['token:oncall', 5]);
    await rehashUnkeyed(b, 5);
    const result = await verify(b, '?full=true');
    expect(result).toMatchObject({ ok: false, keyedFrom: 1, brokenAt: 5 });
    expect(result.problems[0].reason).toBe('unkeyed record after the chain was keyed at #1');
  });

  it('re-hashing the whole chain unkeyed (dropping every seal) is found too', async () => {
    b = await open();
    await history(b);
    await rehashUnkeyed(b, 1);
    const result = await verify(b, '?full=true');
    expect(result).toMatchObject({ ok: false, keyedFrom: null, problems: [{ seq: 1 }] });
    expect(result.problems[0].reason).toMatch(/^no record is sealed with the audit key/);
  });

  it('re-sealing with a key of the attacker’s own is found at every re-sealed record', async () => {
    b = await open();
    await history(b);
    const forged = auditKeyFrom(Buffer.from('attacker-key-0123456789abcdef0123456789'));
    let prev = (await rows(b)).find((r) => Number(r.seq) === 3)!.hash;
    for (const r of (await rows(b)).filter((x) => Number(x.seq) >= 4)) {
      const edited = { ...r, seq: Number(r.seq), outcome: r.type === 'heal.opened' ? 'refused' : r.outcome };
      const hash = keyedHash({ ...edited, prev_hash: prev }, forged);
      await b.sql('UPDATE audit SET outcome = $1, prev_hash = $2, hash = $3 WHERE seq = $4', [
        edited.outcome,
        prev,
        hash,
        r.seq,
      ]);
      prev = hash;
    }
    const result = await verify(b, '?full=true');
    const total = (await rows(b)).length;
    expect(result).toMatchObject({ ok: false, brokenAt: 4, problemCount: total - 3 });
    expect(new Set(result.problems.map((p: { reason: string }) => p.reason))).toEqual(
      new Set(['content does not match its seal']),
    );
  });

  it('a record whose data is not JSON is named by verify, and the log still reads (never a 4xx or 5xx)', async () => {
    b = await open();
    await history(b);
    await b.sql('UPDATE audit SET data = $1 WHERE seq = $2', ['{"truncated', 3]);
    await b.sql('UPDATE audit SET data = $1 WHERE seq = $2', ['[1,2]', 6]);
    const result = await verify(b, '?full=true');
    expect(result.problems).toEqual([
      { seq: 3, reason: 'content does not match its seal (data is not valid JSON)' },
      { seq: 6, reason: 'content does not match its seal' },
    ]);
    const listed = await b.t.app.inject({ url: '/v1/audit?limit=10', headers: b.t.auth('viewer') });
    expect(listed.statusCode).toBe(200);
    const records = listed.json().records as Array<{ seq: number; corrupt?: string; data: unknown }>;
    expect(records.find((r) => r.seq === 3)).toMatchObject({ corrupt: 'data is not valid JSON', data: {} });
    expect(records.find((r) => r.seq === 6)).toMatchObject({ corrupt: 'data is not a JSON object' });
  });

  it('a store written before the key existed keeps verifying: unkeyed records, then the marked keyed chain', async () => {
    b = await open();
    await history(b);
    // What the previous version left: three unkeyed records, no marker.
    await b.sql('DELETE FROM audit');
    let prev = '0'.repeat(64);
    for (const seq of [1, 2, 3]) {
      const record = {
        seq,
        at: `2026-11-2${seq}T03:00:00.000Z`,
        type: 'delivery.received',
        actor: 'alertmanager:salve',
        healId: null,
        policy: null,
        target: null,
        outcome: null,
        data: { delivery: seq },
        prevHash: prev,
      };
      const hash = legacyHash(record);
      await b.sql(
        `INSERT INTO audit (seq, at, type, actor, heal_id, policy, target, outcome, data, prev_hash, hash, scheme)
         VALUES ($1, $2, $3, $4, NULL, NULL, NULL, NULL, $5, $6, $7, 1)`,
        [seq, record.at, record.type, record.actor, JSON.stringify(record.data), prev, hash],
      );
      prev = hash;
    }
    // The new version starts on it: it seals the marker after the unkeyed records, then everything else.
    b = await b.restart();
    await b.t.deliver(payload([alert('after')]));
    const marker = (await b.t.deps.store.queryAudit({ type: 'audit.keyed', limit: 5 }))[0];
    expect(marker).toMatchObject({
      seq: 4,
      scheme: 2,
      data: { keyId: b.t.deps.auditKey.key.id, legacyRecords: 3 },
    });
    expect(await verify(b, '?full=true')).toMatchObject({
      ok: true,
      legacyRecords: 3,
      keyedFrom: 4,
      problems: [],
    });
    // The marker's seal covers the last unkeyed hash: rewriting an old record and re-hashing the unkeyed
    // part is found at the marker.
    await b.sql('UPDATE audit SET actor = $1 WHERE seq = $2', ['mallory', 2]);
    await rehashUnkeyed(b, 2, 3);
    expect(await verify(b, '?full=true')).toMatchObject({
      ok: false,
      problems: [{ seq: 4, reason: 'link to the previous record does not match' }],
    });
  });
});

describe('checkpoints leave the database: log, metrics, sink', () => {
  let sink: FakeHttp | undefined;
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
  });

  it('publishes seq:head once per new head, to the log, two gauges and the HTTP sink', async () => {
    sink = await startFakeHttp(() => ({ status: 204 }));
    const t = await buildTestApp({ env: { SALVE_AUDIT_CHECKPOINT_URL: `${sink.url}/checkpoints` } });
    try {
      await t.deliver(payload([alert('a')]));
      const first = await t.deps.anchor.checkpoint();
      await t.deps.anchor.checkpoint();
      const logged = t.logs.lines().filter((l) => l.msg === 'audit checkpoint');
      expect(logged).toEqual([
        expect.objectContaining({
          audit: { checkpoint: `${first.headSeq}:${first.head}`, keyId: t.deps.auditKey.key.id },
        }),
      ]);
      const metrics = await t.deps.metrics.registry.metrics();
      expect(metrics).toContain(`salve_audit_checkpoint_seq ${first.headSeq}`);
      expect(metrics).toContain(
        `salve_audit_checkpoint_head ${Number.parseInt(first.head.slice(0, 12), 16)}`,
      );
      expect(sink.requests).toHaveLength(1);
      expect(sink.requests[0]).toMatchObject({
        method: 'POST',
        path: '/checkpoints',
        body: { service: 'salve', seq: first.headSeq, head: first.head, keyId: t.deps.auditKey.key.id },
      });
      // A sink that refuses is counted and logged; the next checkpoint goes out again.
      sink.failNext(503);
      await t.deliver(payload([alert('b')]));
      await t.deps.anchor.checkpoint();
      expect(
        await t.deps.metrics.registry.getSingleMetricAsString('salve_audit_checkpoint_sink_failures_total'),
      ).toMatch(/ 1$/);
    } finally {
      await t.close();
    }
  });
});

describe('the key lives outside the database', () => {
  it('is generated 0600 on first start, never overwritten, and a different key refuses to start', async () => {
    const { dir, env } = prepareSalveDir();
    // A first start: no key yet (test directories come with one).
    fs.rmSync(path.join(dir, 'audit.key'));
    const config = loadConfig({ ...env, SALVE_LOG_LEVEL: 'silent' });
    const first = await createDeps(config, captureLogs().log, { env: { HOME: dir } });
    await first.store.appendAudit([
      {
        type: 'test.note',
        actor: 'salve',
        healId: null,
        policy: null,
        target: null,
        outcome: null,
        data: {},
      },
    ]);
    await first.close();
    const keyFile = path.join(dir, 'audit.key');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(first.auditKey).toMatchObject({ file: keyFile, generated: true, exposed: false });
    const again = await createDeps(config, captureLogs().log, { env: { HOME: dir } });
    expect(again.auditKey).toMatchObject({ generated: false, key: { id: first.auditKey.key.id } });
    await again.close();
    fs.writeFileSync(keyFile, `${'f'.repeat(64)}\n`, { mode: 0o600 });
    await expect(createDeps(config, captureLogs().log, { env: { HOME: dir } })).rejects.toMatchObject({
      code: 'SALVE_CONFIG_INVALID',
      message: expect.stringContaining(`the audit key in ${keyFile}`),
    });
  });

  it('with PostgreSQL a missing key refuses to start; a placeholder or short key is refused; a readable one is flagged', async () => {
    const { dir } = prepareSalveDir();
    const file = path.join(dir, 'audit.key');
    fs.rmSync(file);
    expect(() => loadOrCreateAuditKey(file, { generate: false })).toThrow(/every replica must seal/);
    fs.writeFileSync(file, 'replace-with-the-output-of-openssl-rand-hex-32\n');
    expect(() => loadOrCreateAuditKey(file, { generate: false })).toThrow(/placeholder/);
    fs.writeFileSync(file, 'short\n');
    expect(() => loadOrCreateAuditKey(file, { generate: false })).toThrow(/at least 32 characters/);
    fs.writeFileSync(file, `${'a'.repeat(64)}\n`, { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    expect(loadOrCreateAuditKey(file, { generate: false })).toMatchObject({ exposed: true });
  });

  it('salve audit --verify --expect SEQ:HEAD exits 1 and names what was cut', async () => {
    const b = await sqliteBackend();
    try {
      await history(b);
      const published = await b.t.deps.anchor.checkpoint();
      await b.sql('DELETE FROM audit WHERE seq >= $1', [published.headSeq - 1]);
      const env = { SALVE_DATA_DIR: b.t.dir, SALVE_POLICIES: b.t.policiesDir, HOME: b.t.dir };
      const ok = await runCli(['audit', '--verify'], env);
      expect(ok.code).toBe(0);
      const cut = await runCli(
        ['audit', '--verify', '--expect', `${published.headSeq}:${published.head}`],
        env,
      );
      expect(cut.code).toBe(1);
      expect(cut.stdout).toContain(
        `#${published.headSeq}: the chain ends at #${published.headSeq - 2}, before the checkpoint #${published.headSeq}: records were deleted`,
      );
    } finally {
      await b.close();
    }
  }, 60_000);
});
