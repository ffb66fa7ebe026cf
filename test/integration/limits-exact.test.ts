import os from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { fakeClock } from '../support/fake-clock.js';
import { payload } from '../support/fixtures.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { testAuditKey } from '../support/store-contract.js';

const names = Array.from({ length: 20 }, (_, i) => `scorer-${String(i).padStart(2, '0')}`);
const ceiling = 5;

const firing = (deployment: string) =>
  payload([
    {
      labels: {
        alertname: 'ModelServingErrorRate',
        severity: 'critical',
        namespace: 'ml-prod',
        deployment,
        model: deployment,
      },
    },
  ]);

/** Every refused heal says which limit refused it, in its state and its audit trail. */
async function expectRefusedByCeiling(store: TestApp['deps']['store'], ids: string[]) {
  for (const id of ids) {
    const heal = await store.getHeal(id);
    expect(heal).toMatchObject({ state: 'escalated', reason: 'global_rate_limit' });
    const timeline = await store.queryAudit({ healId: id, limit: 100 });
    expect(timeline.map((r) => `${r.type}:${r.outcome}`)).toEqual(
      expect.arrayContaining(['guard.refused:global_rate_limit', 'heal.escalated:escalated']),
    );
    expect(timeline.some((r) => r.type === 'action.started')).toBe(false);
  }
}

describe('counted limits hold exactly while heals advance at once', () => {
  let h: EngineHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('SQLite, one replica: ceiling 5, twenty targets firing at once: exactly five actions, fifteen refused and audited', async () => {
    h = await startEngineHarness({
      deployments: names,
      env: { SALVE_MAX_ACTIONS_PER_HOUR: String(ceiling) },
      overrides: { engine: { concurrency: 20 } },
    });
    const opened = (await Promise.all(names.map((n) => h!.fire(n)))).flatMap((r) => r.opened);
    expect(opened).toHaveLength(20);
    await h.run();

    expect(h.patches().filter((p) => p.method === 'PATCH')).toHaveLength(ceiling);
    const heals = await Promise.all(opened.map((id) => h!.heal(id)));
    expect(heals.filter((x) => x.state === 'verifying')).toHaveLength(ceiling);
    await expectRefusedByCeiling(
      h.deps.store,
      heals.filter((x) => x.state !== 'verifying').map((x) => x.id),
    );
    expect(await h.deps.store.verifyAudit()).toMatchObject({ ok: true });
  });

  describe('PostgreSQL, two replicas', () => {
    let pg: TestPostgres;
    let sim: KubeSim;
    beforeAll(async () => {
      [pg, sim] = await Promise.all([startTestPostgres(), startKubeSim({ tickMs: 0 })]);
      for (const name of names) {
        sim.seed.deployment({ namespace: 'ml-prod', name, replicas: 1, revisions: [{ image: `${name}:1` }] });
      }
    });
    afterAll(async () => {
      await sim?.close();
      await pg?.stop();
    });

    it('ceiling 5, twenty targets firing at once on both replicas: exactly five actions, the rest refused and audited', async () => {
      const url = await pg.createDatabase();
      const kubeconfig = sim.writeKubeconfig(os.tmpdir());
      const clock = fakeClock();
      // Two replicas: two stores (pools) on one database, two engines with their own lease owners.
      const replicas: TestApp[] = [];
      for (let i = 0; i < 2; i++) {
        replicas.push(
          await buildTestApp({
            env: { SALVE_KUBECONFIG: kubeconfig, SALVE_MAX_ACTIONS_PER_HOUR: String(ceiling) },
            overrides: {
              clock,
              store: openPostgresStore({ url, clock, auditKey: testAuditKey }),
              // Ten heals at a time each: both replicas' first claims take half of the twenty.
              engine: { concurrency: 10 },
            },
          }),
        );
      }
      try {
        const answers = await Promise.all(names.map((n, i) => replicas[i % 2]!.deliver(firing(n))));
        const opened = answers.flatMap((a) => a.json().heals.opened.map((x: { id: string }) => x.id));
        expect(opened).toHaveLength(20);
        // Both engines claim and advance what is due, at the same moment.
        await Promise.all(replicas.map((r) => r.deps.engine.drain()));

        const restarts = sim.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/deployments/'));
        expect(restarts).toHaveLength(ceiling);
        const store = replicas[0]!.deps.store;
        const heals = await Promise.all(opened.map((id: string) => store.getHeal(id)));
        expect(heals.filter((x) => x?.state === 'verifying')).toHaveLength(ceiling);
        await expectRefusedByCeiling(
          store,
          heals.filter((x) => x?.state !== 'verifying').map((x) => x!.id),
        );
        // Both replicas decided: each refused or acted on some of the twenty.
        for (const r of replicas) {
          const refused = (await r.deps.metrics.guardRefusals.get()).values.reduce((n, v) => n + v.value, 0);
          const acted = (await r.deps.metrics.actionDuration.get()).values
            .filter((v) => v.metricName?.endsWith('_count'))
            .reduce((n, v) => n + v.value, 0);
          expect(refused + acted).toBeGreaterThan(0);
        }
        expect(await store.verifyAudit()).toMatchObject({ ok: true });
      } finally {
        for (const r of replicas) await r.close();
      }
    });
  });
});
