import {
  type Cluster,
  p99,
  recoveryMs,
  type Sample,
  startCluster,
  startLoad,
} from '../test/support/chaos.js';
import { startKubeSim } from '../test/support/kube-sim/index.js';
import { startTestPostgres, type TestPostgres } from '../test/support/postgres.js';
import { fixed, grouped, renderTable } from './table.js';

export type StoreFaultRun = {
  fault: 'none (baseline)' | 'restart, fast' | 'restart, immediate' | 'freeze (SIGSTOP)';
  /** How long the database was out: from the signal until it accepted connections again (freeze: SIGCONT). */
  outMs: number;
  /** After the database was back: until the slower replica answered a new delivery 202. */
  recoveryMs: number;
  sent: number;
  /** Deliveries sent while the database was out, and how many of those were answered 503. */
  sentDuringFault: number;
  refusedDuringFault: number;
  p99Ms: number;
  maxMs: number;
  /** Deliveries answered 202 whose alert is not in the database afterwards: must be 0. */
  lost: number;
};

const deadlineMs = 5_000;
const freezeMs = 10_000;
const loadMs = 6_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Two replicas on one embedded PostgreSQL (fsync on), 10 clients sending one-alert deliveries that keep opening
 * heals, with the production defaults (SALVE_DELIVERY_DEADLINE 5 s). One run without a fault is the baseline;
 * then the database is restarted (fast, immediate) and frozen under the same load.
 */
export async function benchStoreFaults(progress: (line: string) => void): Promise<StoreFaultRun[]> {
  progress('store-faults: starting an embedded PostgreSQL (fsync on), the simulator and two salve replicas');
  const [pg, sim] = await Promise.all([startTestPostgres({ durable: true }), startKubeSim({ tickMs: 0 })]);
  let cluster: Cluster | null = null;
  try {
    cluster = await startCluster({
      pg,
      sim,
      n: 2,
      env: { SALVE_MAX_ACTIONS_PER_HOUR: '100000', SALVE_LOG_LEVEL: 'warn' },
    });
    const runs: StoreFaultRun[] = [];
    const faults: Array<[StoreFaultRun['fault'], () => Promise<void>]> = [
      ['none (baseline)', async () => undefined],
      ['restart, fast', () => pg.restart('fast')],
      ['restart, immediate', () => pg.restart('immediate')],
      [
        'freeze (SIGSTOP)',
        async () => {
          pg.freeze();
          await sleep(freezeMs);
          pg.thaw();
        },
      ],
    ];
    for (const [fault, act] of faults) {
      progress(`store-faults: ${fault}`);
      runs.push(await underLoad(pg, sim, cluster, fault, act));
    }
    return runs;
  } finally {
    await cluster?.stop();
    await sim.close();
    await pg.stop();
  }
}

async function underLoad(
  pg: TestPostgres,
  sim: Awaited<ReturnType<typeof startKubeSim>>,
  cluster: Cluster,
  fault: StoreFaultRun['fault'],
  act: () => Promise<void>,
): Promise<StoreFaultRun> {
  const load = startLoad({
    urls: cluster.replicas.map((r) => r.url),
    concurrency: 10,
    prefix: fault.replace(/\W+/g, '-'),
    newTargetEveryMs: 200,
    onTarget: (name) =>
      sim.seed.deployment({ namespace: 'ml-prod', name, replicas: 1, revisions: [{ image: `${name}:1` }] }),
  });
  await sleep(loadMs / 2);
  const out = performance.now();
  await act();
  const back = performance.now();
  // The rest of the load after the fault, and at least long enough for both replicas to recover.
  const until = Math.max(back + loadMs / 2, performance.now() + 1_000);
  while (
    performance.now() < until ||
    recoveryMs(load.samples, cluster.replicas.length, back).some(
      (ms) => !Number.isFinite(ms) && performance.now() < back + 60_000,
    )
  ) {
    await sleep(100);
  }
  const samples = await load.stop();
  const duringFault = samples.filter((s: Sample) => s.start >= out && s.start < back);
  const stored = new Set(
    (await pg.query<{ fingerprint: string }>(cluster.database, 'SELECT fingerprint FROM alerts')).map(
      (r) => r.fingerprint,
    ),
  );
  const measured = fault === 'none (baseline)' ? samples : duringFault;
  return {
    fault,
    outMs: fault === 'none (baseline)' ? 0 : back - out,
    recoveryMs:
      fault === 'none (baseline)' ? 0 : Math.max(...recoveryMs(samples, cluster.replicas.length, back)),
    sent: samples.length,
    sentDuringFault: duringFault.length,
    refusedDuringFault: duringFault.filter((s) => s.status === 503).length,
    p99Ms: p99(measured.map((s) => s.ms)),
    maxMs: Math.max(0, ...measured.map((s) => s.ms)),
    lost: samples.filter((s) => s.status === 202 && !stored.has(s.fingerprint)).length,
  };
}

export function storeFaultsReport(runs: readonly StoreFaultRun[]): string {
  const rows = runs.map((r) => [
    r.fault,
    r.fault === 'none (baseline)' ? '-' : grouped(r.outMs),
    r.fault === 'none (baseline)' ? '-' : grouped(r.recoveryMs),
    r.fault === 'none (baseline)'
      ? grouped(r.sent)
      : `${grouped(r.refusedDuringFault)}/${grouped(r.sentDuringFault)}`,
    fixed(r.p99Ms, 0),
    fixed(r.maxMs, 0),
    String(r.lost),
  ]);
  return [
    `PostgreSQL faults under load: two replicas, 10 clients of one-alert deliveries, SALVE_DELIVERY_DEADLINE ${deadlineMs / 1000}s; ` +
      'p99/max of the deliveries sent while the database was out (baseline: all of a run without a fault)',
    renderTable(
      [
        'fault',
        'database out ms',
        'recovery ms after it is back',
        '503 / sent while out',
        'webhook p99 ms',
        'max ms',
        'acknowledged lost',
      ],
      rows,
    ),
  ].join('\n');
}
