import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { AuditRecord } from '../../src/domain/audit.js';
import type { Heal } from '../../src/domain/heal.js';
import { buildTestApp, type TestApp } from './build-test-app.js';
import { type FakeClock, fakeClock } from './fake-clock.js';
import { alertmanagerResolving } from './kube-prometheus-alerts.js';
import {
  KUBE_PROMETHEUS_SEED,
  type KubeSim,
  scenarioKubePrometheus,
  startKubeSim,
} from './kube-sim/index.js';
import { type Kubectl, kubectlFor } from './kubectl.js';
import { waitFor } from './wait.js';

// The kube-prometheus policy pack running against the simulator's kube-prometheus scenario, with a fake clock
// that moves the controllers, the engine and Alertmanager's resolved notifications together
// (test/integration/kube-prometheus-pack.test.ts).

const MIN = 60_000;
export const image = (team: string, name: string, tag: string) => `registry.example/${team}/${name}:${tag}`;

export type Pack = {
  t: TestApp;
  sim: KubeSim;
  clock: FakeClock;
  kubectl: Kubectl;
  alertmanager: ReturnType<typeof alertmanagerResolving>;
  /** Resolved notifications sent, by group. */
  resolvedSent: string[];
  close(): Promise<void>;
};

/** Alertmanager's group_interval: a group with news is notified again at most this often. */
const GROUP_INTERVAL_MS = 5 * MIN;

export async function startPack(): Promise<Pack> {
  // The releases ran before the incident: what k8s.rollback's last known good looks back to.
  const clock = fakeClock('2026-03-01T08:00:00.000Z');
  const sim = await startKubeSim({
    tickMs: 0,
    randomSeed: KUBE_PROMETHEUS_SEED,
    now: () => clock.now().getTime(),
  });
  scenarioKubePrometheus(sim);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-pack-'));
  const kubeconfig = sim.writeKubeconfig(dir, { namespace: 'shop' });
  const pack = fs
    .readFileSync('deploy/policy-packs/kube-prometheus.yaml', 'utf8')
    .replaceAll('CHANGE-ME', 'shop, data, platform, ml');
  const t = await buildTestApp({
    policies: { 'kube-prometheus.yaml': pack },
    env: { SALVE_KUBECONFIG: kubeconfig },
    overrides: {
      clock,
      random: () => 0,
      engine: { pollMs: 1_000, rolloutPollMs: 2_000, retry: { attempts: 3, baseMs: 1_000, maxMs: 10_000 } },
    },
  });
  await waitFor(
    'the owner-chain cache to sync',
    async () => t.deps.owners.status(),
    (s) => s.synced,
  );
  expect(t.deps.owners.status().informers.length).toBeGreaterThan(0);
  return {
    t,
    sim,
    clock,
    kubectl: kubectlFor(kubeconfig, path.join(dir, 'cache')),
    alertmanager: alertmanagerResolving(GROUP_INTERVAL_MS),
    resolvedSent: [],
    async close() {
      await t.close();
      await sim.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Each step of `until`: the controllers make one pass and the engine runs what fell due. */
const STEP_MS = 60_000;

/**
 * Moves time to `iso` step by step, letting the controllers and the engine do what falls due in each; at every
 * group_interval, Alertmanager notifies the groups whose alerts stopped firing.
 */
export async function until(p: Pack, iso: string): Promise<void> {
  const end = new Date(iso).getTime();
  while (p.clock.now().getTime() < end) {
    await p.clock.advance(Math.min(STEP_MS, end - p.clock.now().getTime()));
    p.sim.tick();
    await p.t.deps.engine.drain();
    for (const n of p.alertmanager.due(p.sim, p.clock.now())) {
      const res = await p.t.deliver(n.body);
      expect(res.statusCode, `${n.name} resolved`).toBe(202);
      p.resolvedSent.push(n.name);
      await p.t.deps.engine.drain();
    }
  }
}

export const heals = (p: Pack): Promise<Heal[]> => p.t.deps.store.listHeals({ limit: 100 });
export const audit = (p: Pack, type: string): Promise<AuditRecord[]> =>
  p.t.deps.store.queryAudit({ type, limit: 1000 });
export const actionsOn = async (p: Pack, target: string) =>
  (await audit(p, 'action.started')).filter((r) => r.target === target).map((r) => r.data.action);

export async function jsonpath(p: Pack, args: string[], expr: string): Promise<string> {
  const out = await p.kubectl('get', ...args, '-o', `jsonpath=${expr}`);
  expect(out.stderr).toBe('');
  return out.stdout;
}
