import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Heal } from '../../src/domain/heal.js';
import { buildTestApp, type TestApp, type TestAppOptions } from './build-test-app.js';
import { fakeClock } from './fake-clock.js';
import { payload } from './fixtures.js';
import { type KubeSim, releaseClock, startKubeSim } from './kube-sim/index.js';

export type EngineHarness = TestApp & {
  sim: KubeSim;
  /** Delivers a firing (or resolved) ModelServingErrorRate alert for a Deployment in ml-prod. */
  fire(
    deployment: string,
    opts?: {
      status?: 'firing' | 'resolved';
      startsAt?: string;
      alertname?: string;
      labels?: Record<string, string>;
    },
  ): Promise<{ opened: string[]; attached: string[] }>;
  resolve(
    deployment: string,
    opts?: { startsAt?: string; alertname?: string; labels?: Record<string, string> },
  ): Promise<void>;
  /** Runs the engine until nothing is due at the current fake time. */
  run(): Promise<void>;
  /** Moves the fake clock (and the simulator's rollouts by a controller pass) and runs what became due. */
  advance(ms: number): Promise<void>;
  heal(id: string): Promise<Heal>;
  timeline(
    id: string,
  ): Promise<Array<{ type: string; outcome: string | null; data: Record<string, unknown>; actor: string }>>;
  patches(): Array<{ method: string; path: string; body: unknown }>;
};

export const firstStartsAt = '2026-11-27T02:59:00.000Z';

export async function startEngineHarness(
  options: TestAppOptions & { deployments?: string[] } = {},
): Promise<EngineHarness> {
  const clock = fakeClock();
  // The releases ran an hour before the alerts: what k8s.rollback's last known good looks back to.
  const released = releaseClock(3_600_000, () => clock.now().getTime());
  const sim = await startKubeSim({ tickMs: 0, now: released.now });
  for (const name of options.deployments ?? ['fraud-scorer']) {
    sim.seed.deployment({
      namespace: 'ml-prod',
      name,
      replicas: 2,
      revisions: [{ image: `registry.example/${name}:1.4.0` }, { image: `registry.example/${name}:1.5.0` }],
    });
  }
  released.present();
  const kubeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-kc-'));
  const kubeconfig = sim.writeKubeconfig(kubeDir);
  const t = await buildTestApp({
    ...options,
    env: { SALVE_KUBECONFIG: kubeconfig, ...options.env },
    overrides: {
      clock,
      random: () => 0,
      ...options.overrides,
      engine: {
        retry: { attempts: 3, baseMs: 1_000, maxMs: 10_000 },
        rolloutPollMs: 2_000,
        pollMs: 1_000,
        ...options.overrides?.engine,
      },
    },
  });
  const labelsFor = (
    deployment: string,
    o: { alertname?: string; labels?: Record<string, string> } = {},
  ) => ({
    alertname: o.alertname ?? 'ModelServingErrorRate',
    severity: 'critical',
    namespace: 'ml-prod',
    deployment,
    model: deployment,
    ...o.labels,
  });
  const h: EngineHarness = {
    ...t,
    sim,
    async fire(deployment, o = {}) {
      const res = await t.deliver(
        payload([
          {
            labels: labelsFor(deployment, o),
            status: o.status ?? 'firing',
            startsAt: o.startsAt ?? firstStartsAt,
          },
        ]),
      );
      if (res.statusCode !== 202) throw new Error(`delivery answered ${res.statusCode}: ${res.body}`);
      const body = res.json();
      return {
        opened: body.heals.opened.map((x: { id: string }) => x.id),
        attached: body.heals.attached.map((x: { id: string }) => x.id),
      };
    },
    async resolve(deployment, o = {}) {
      await h.fire(deployment, { ...o, status: 'resolved' });
    },
    run: () => t.deps.engine.drain(),
    async advance(ms) {
      sim.tick();
      await clock.advance(ms);
      sim.tick();
      await t.deps.engine.drain();
    },
    async heal(id) {
      const heal = await t.deps.store.getHeal(id);
      if (!heal) throw new Error(`no heal ${id}`);
      return heal;
    },
    async timeline(id) {
      return t.deps.store.queryAudit({ healId: id, limit: 1000 });
    },
    patches: () =>
      sim
        .mutations()
        .filter((r) => r.method === 'PATCH' || (r.method === 'POST' && !r.path.includes('/events'))),
    async close() {
      await t.close();
      await sim.close();
      fs.rmSync(kubeDir, { recursive: true, force: true });
    },
  };
  return h;
}
