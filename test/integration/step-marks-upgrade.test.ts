import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { annotationKeys } from '../../src/actions/k8s/target.js';
import { migrateSqlite, sqliteMigrations } from '../../src/store/sqlite/migrations.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';

// The previous release marked what a step changed with `<heal>/<step index>`; this one counts steps from 1.
// A heal in flight across the upgrade must keep recognising the marks it already left, or it acts twice.

const now = () => new Date('2026-11-27T03:00:00.000Z');

function legacyDatabase(file: string): Database.Database {
  const db = new Database(file);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)');
  for (const m of sqliteMigrations.filter((x) => x.version <= 8)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, now().toISOString());
  }
  db.prepare(
    `INSERT INTO heals (id, policy, target_key, target, state, phase, step, steps, dry_run, trigger, opened_at,
                       updated_at)
     VALUES ('heal_old', 'p', 'Deployment/ns/x', '{}', 'running', 'action', 0, '[]', 0, '{}', ?, ?)`,
  ).run(now().toISOString(), now().toISOString());
  return db;
}

describe('step marks across the upgrade that numbered steps from 1', () => {
  let h: EngineHarness | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await h?.close();
    h = undefined;
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('heals the previous release wrote (and rows its replicas still insert) keep the index in their marks', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-marks-'));
    dirs.push(dir);
    const db = legacyDatabase(path.join(dir, 'salve.db'));
    migrateSqlite(db, now);
    const base = (id: string) =>
      (db.prepare('SELECT mark_base FROM heals WHERE id = ?').get(id) as { mark_base: number }).mark_base;
    expect(base('heal_old')).toBe(0);
    // A replica of the previous release inserts without the column: its heal keeps the index too.
    db.prepare(
      `INSERT INTO heals (id, policy, target_key, target, state, phase, step, steps, dry_run, trigger, opened_at,
                         updated_at)
       VALUES ('heal_old_replica', 'p', 'Deployment/ns/y', '{}', 'pending', 'guards', 0, '[]', 0, '{}', ?, ?)`,
    ).run(now().toISOString(), now().toISOString());
    expect(base('heal_old_replica')).toBe(0);
    db.close();
  });

  /** A heal opened by a delivery, its marks counted as `markBase` says (null: as this release opens it). */
  async function openHeal(markBase: number | null, leftMark: string | null) {
    h = await startEngineHarness();
    const { opened } = await h.fire('fraud-scorer');
    const id = opened[0]!;
    if (markBase !== null) {
      const db = new Database(path.join(h.dir, 'salve.db'));
      db.prepare('UPDATE heals SET mark_base = ? WHERE id = ?').run(markBase, id);
      db.close();
    }
    if (leftMark !== null) {
      // What the step had already done when salve stopped: the restart, marked as its release marks it.
      await h.deps.kube.patchWorkload('Deployment', 'ml-prod', 'fraud-scorer', {
        type: 'strategic',
        body: {
          spec: {
            template: {
              metadata: {
                annotations: {
                  [annotationKeys.restartedAt]: '2026-11-27T02:59:30Z',
                  [annotationKeys.restartFor]: leftMark.replace('<id>', id),
                },
              },
            },
          },
        },
      });
    }
    return { id, harness: h };
  }

  it('a heal opened before the upgrade recognises the restart it made at step index 0 and does not restart again', async () => {
    const { id, harness } = await openHeal(0, '<id>/0');
    expect(harness.patches()).toHaveLength(1);
    await harness.run();
    expect(harness.patches()).toHaveLength(1);
    const finished = (await harness.timeline(id)).find((r) => r.type === 'action.finished');
    expect(finished).toMatchObject({ outcome: 'unchanged' });
    expect(String(finished!.data.detail)).toContain('already restarted by this heal step');
    // People still read the step as step 1.
    expect(
      (await harness.app.inject({ url: `/v1/heals/${id}`, headers: harness.auth('viewer') })).json(),
    ).toMatchObject({
      heal: { step: 1 },
    });
  });

  it('a heal this release opens marks its first step 1 and recognises that mark on a re-run', async () => {
    const { id, harness } = await openHeal(1, '<id>/1');
    await harness.run();
    expect(harness.patches()).toHaveLength(1);
    expect((await harness.timeline(id)).find((r) => r.type === 'action.finished')).toMatchObject({
      outcome: 'unchanged',
    });
    const annotations = (await harness.deps.kube.getWorkload('Deployment', 'ml-prod', 'fraud-scorer')).spec
      .template.metadata?.annotations;
    expect(annotations?.[annotationKeys.restartFor]).toBe(`${id}/1`);
  });

  it('without the heal counting its marks from the index, the same leftover mark would not be recognised', async () => {
    // The hazard this column closes: a new heal ignores a mark made with the index, and restarts.
    const { id, harness } = await openHeal(1, '<id>/0');
    await harness.run();
    expect(harness.patches()).toHaveLength(2);
    expect((await harness.timeline(id)).find((r) => r.type === 'action.finished')).toMatchObject({
      outcome: 'changed',
    });
  });

  it('a heal this release opens starts with marks counted from 1', async () => {
    const { id, harness } = await openHeal(null, null);
    expect((await harness.heal(id)).markBase).toBe(1);
    await harness.run();
    const annotations = (await harness.deps.kube.getWorkload('Deployment', 'ml-prod', 'fraud-scorer')).spec
      .template.metadata?.annotations;
    expect(annotations?.[annotationKeys.restartFor]).toBe(`${id}/1`);
  });
});
