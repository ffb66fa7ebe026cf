/**
 * Time from webhook receipt to the first Kubernetes request: salve with its heal engine on, pointed at the
 * Kubernetes simulator running in this process, receives one firing alert for a fresh Deployment every
 * 50 ms; the latency is the simulator's arrival time of the first GET or PATCH of that Deployment minus the
 * time just before the alert was sent. Measured without background load, then beside a steady stream of
 * non-matching and re-delivered alerts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type KubeSim, startKubeSim } from '../test/support/kube-sim/index.js';
import { type ServerChild, startServer } from './child.js';
import { createDeliveryStream } from './deliveries.js';
import { createFirstRequestIndex, type ProbeSample, probe, probeAlertname } from './first-action-probe.js';
import type { BenchOptions } from './options.js';
import { type PacedResult, startPacedLoad } from './paced-load.js';
import { percentile } from './stats.js';
import { createWorkspace } from './workspace.js';

const NAMESPACE = 'ml-prod';
const EVERY_MS = 50;
/**
 * Alerts sent first, beside background load, and not counted: JIT, the kube client's first connection,
 * SQLite's caches. With fewer (10, and no background), whichever phase ran second came out faster.
 */
const WARMUP = 40;
/** Load before the first measured alert, so the measurement starts in the steady state. */
const BACKGROUND_LEAD_MS = 1_000;

export type FirstActionRun = {
  /** Background deliveries per second asked for; 0 for the baseline. */
  backgroundRate: number;
  /** What the background achieved (10 alerts per delivery); null for the baseline. */
  background: (Omit<PacedResult, 'latenciesMs'> & { alertsPerSecond: number }) | null;
  deployments: number;
  sent: number;
  /** Alerts answered 202 with one heal opened. */
  opened: number;
  /** Opened heals whose Deployment saw no request within the wait. */
  missing: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  ackP50Ms: number;
  ackP99Ms: number;
};

// Generous guards: every alert is a new target, and the global ceiling must never be what is measured.
const policyText = `apiVersion: salve/v1
policies:
  - name: bench-first-action
    description: Restart the Deployment the alert names (benchmark)
    match:
      - alertname="${probeAlertname}"
    target:
      kind: Deployment
      namespace: ${NAMESPACE}
      name: "{{ labels.deployment }}"
    steps:
      - action: k8s.restart
        verify: { rollout: 5m, resolved: 30m }
    guards: { cooldown: 0s, maxPerTarget: "100/1h" }
`;

function summarise(samples: ProbeSample[], backgroundRate: number, background: FirstActionRun['background']) {
  const opened = samples.filter((s) => s.opened === 1);
  const latencies = opened.flatMap((s) => (s.firstRequestAt === null ? [] : [s.firstRequestAt - s.sentAt]));
  return {
    backgroundRate,
    background,
    sent: samples.length,
    opened: opened.length,
    missing: opened.length - latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: percentile(latencies, 100),
    ackP50Ms: percentile(
      samples.map((s) => s.ackMs),
      50,
    ),
    ackP99Ms: percentile(
      samples.map((s) => s.ackMs),
      99,
    ),
  };
}

/**
 * Lets the simulator's controllers finish the rollouts of the heals opened so far, then waits for those
 * heals to see it (they poll every 2 s) and go quiet. The controllers are paused while alerts are measured:
 * one pass over a few hundred Deployments blocks this process for a second or more, and the simulator
 * records arrival times on this process's event loop.
 */
async function settle(sim: KubeSim): Promise<void> {
  sim.tick();
  await sleep(2_500);
}

export async function benchFirstAction(
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<FirstActionRun[]> {
  const now = () => performance.timeOrigin + performance.now();
  const sim = await startKubeSim({ tickMs: 0, now });
  const workspace = createWorkspace(options.dir, 'firstaction', policyText);
  let server: ServerChild | undefined;
  try {
    const per = options.firstActionSamples;
    const names = Array.from({ length: WARMUP + 2 * per }, (_, i) => `scorer-${String(i).padStart(4, '0')}`);
    progress(`firstaction: seeding ${names.length} Deployments in ${NAMESPACE}`);
    for (const name of names) {
      sim.seed.deployment({
        namespace: NAMESPACE,
        name,
        replicas: 2,
        revisions: [{ image: 'registry.example/ml/scorer:1.4.0' }],
      });
    }
    server = await startServer({
      kind: 'salve',
      dir: workspace.dir,
      logLevel: options.logLevels[0] ?? 'info',
      engine: true,
      settings: {
        SALVE_KUBECONFIG: sim.writeKubeconfig(workspace.dir),
        SALVE_MAX_ACTIONS_PER_HOUR: '100000',
      },
    });
    const url = server.url;
    const base = {
      url,
      namespace: NAMESPACE,
      everyMs: EVERY_MS,
      now,
      index: createFirstRequestIndex(sim.requests, NAMESPACE),
      waitMs: 10_000,
    };
    const background = (salt: number) =>
      startPacedLoad({
        url,
        stream: createDeliveryStream({
          alertsPerDelivery: options.alertsPerDelivery,
          redeliveryRatio: options.redeliveryRatio,
          salt,
        }),
        perSecond: options.backgroundRate,
        maxInFlight: 32,
      });
    progress(`firstaction: ${WARMUP} warm-up alerts beside background load`);
    const warm = background(199);
    await probe({ ...base, deployments: names.slice(0, WARMUP) });
    await warm.stop();
    await settle(sim);

    progress(`firstaction: ${per} alerts, no background load`);
    const quiet = await probe({ ...base, deployments: names.slice(WARMUP, WARMUP + per) });
    const runs: FirstActionRun[] = [{ ...summarise(quiet, 0, null), deployments: names.length }];
    await settle(sim);

    const rate = options.backgroundRate;
    progress(
      `firstaction: ${per} alerts beside ${rate} deliveries/s (${rate * options.alertsPerDelivery} alerts/s)`,
    );
    const load = background(200);
    await sleep(BACKGROUND_LEAD_MS);
    // The background runs until every measured alert has had its answer at the simulator.
    const loaded = await probe({ ...base, deployments: names.slice(WARMUP + per) });
    // The background's own latencies are not this section's figure.
    const { latenciesMs: _, ...achieved } = await load.stop();
    const alertsPerSecond = (achieved.acknowledged * options.alertsPerDelivery) / achieved.seconds;
    runs.push({
      ...summarise(loaded, rate, { ...achieved, alertsPerSecond }),
      deployments: names.length,
    });
    return runs;
  } finally {
    await server?.kill9();
    await sim.close();
    workspace.remove();
  }
}
