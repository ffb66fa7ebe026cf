/**
 * What resolving `target.ownerOf` costs the webhook: the same stream of pod alerts (KubePodCrashLooping, one
 * 10-alert group per delivery, every alert new) against salve with a policy whose target is named from a label
 * (the baseline) and with one that resolves each pod to its Deployment through the owner-chain cache. Both
 * salves watch the same simulator; the load is open-loop at a steady rate, so the latencies are the webhook's,
 * not a queue's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createActionRegistry } from '../src/actions/registry.js';
import { alertSchema, normaliseAlert } from '../src/alerts/schema.js';
import { type HeadLookup, walkOwnerChain } from '../src/kube/owner-chain.js';
import type { ChainKind, ObjectHead } from '../src/kube/port.js';
import { evaluateAlert } from '../src/policy/evaluate.js';
import { loadPolicyText } from '../src/policy/loader.js';
import { type KubeSim, startKubeSim } from '../test/support/kube-sim/index.js';
import { type ServerChild, startServer } from './child.js';
import type { DeliveryStream } from './deliveries.js';
import { nsPerCall } from './match.js';
import type { BenchOptions } from './options.js';
import { startPacedLoad } from './paced-load.js';
import { percentile } from './stats.js';
import { fixed, grouped, renderTable } from './table.js';
import { createWorkspace } from './workspace.js';

const NAMESPACE = 'shop';
const DEPLOYMENTS = 200;
const REPLICAS = 3;
const PER_SECOND = 100;

export type OwnersRun = {
  target: 'named' | 'ownerOf';
  /** Objects the simulator holds in the namespace (pods, ReplicaSets, Deployments). */
  objects: number;
  seconds: number;
  deliveriesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** evaluateAlert for one pod alert in this process (median of rounds), resolving from heads in memory. */
  evaluateNs: number;
  /** salve_owner_resolutions_total by outcome over the run (cache, lookup, refused, deferred). */
  resolutions: Record<string, number>;
  skipped: number;
  non202: Record<string, number>;
};

const policy = (target: string) => `apiVersion: salve/v1
policies:
  - name: bench-pod-crashloop
    description: Restart the Deployment of a crash-looping pod (benchmark)
    match:
      - alertname="KubePodCrashLooping"
    target:
${target}
    allow: { namespaces: [${NAMESPACE}] }
    steps:
      - action: k8s.restart
    guards: { cooldown: 0s }
`;

const targets = {
  named: `      kind: Deployment
      namespace: "{{ labels.namespace }}"
      name: "{{ labels.deployment }}"`,
  ownerOf: `      kind: Deployment
      namespace: "{{ labels.namespace }}"
      ownerOf: { kind: Pod, name: "{{ labels.pod }}" }`,
} as const;

/**
 * Deliveries as Alertmanager sends KubePodCrashLooping grouped by namespace: each a new group of pods of one
 * Deployment, labels as kube-state-metrics gives them (plus `deployment`, which only the baseline reads).
 */
function podAlertStream(
  pods: Array<{ pod: string; deployment: string }>,
  size: number,
  salt: number,
): DeliveryStream {
  let group = 0;
  const startsAt = (g: number) => new Date(Date.UTC(2026, 2, 1) + salt * 86_400_000 + g * 1000).toISOString();
  const fingerprint = (g: number, i: number) =>
    ((salt * 1_000_003 + g * size + i) >>> 0).toString(16).padStart(16, '0');
  return {
    next() {
      const g = group++;
      const alerts = Array.from({ length: size }, (_, i) => {
        const { pod, deployment } = pods[(g * size + i) % pods.length]!;
        return {
          status: 'firing',
          labels: {
            alertname: 'KubePodCrashLooping',
            container: 'app',
            instance: '10.0.3.7:8080',
            job: 'kube-state-metrics',
            namespace: NAMESPACE,
            pod,
            deployment,
            reason: 'CrashLoopBackOff',
            severity: 'warning',
            uid: `uid-${pod}`,
          },
          annotations: { summary: 'Pod is crash looping.' },
          startsAt: startsAt(g),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://prometheus-k8s-0:9090/graph',
          fingerprint: fingerprint(g, i),
        };
      });
      const body = JSON.stringify({
        receiver: 'salve',
        status: 'firing',
        alerts,
        groupLabels: { alertname: 'KubePodCrashLooping', namespace: NAMESPACE },
        commonLabels: { alertname: 'KubePodCrashLooping', namespace: NAMESPACE },
        commonAnnotations: {},
        externalURL: 'http://alertmanager-main.monitoring:9093',
        version: '4',
        groupKey: `{}:{alertname="KubePodCrashLooping", namespace="${NAMESPACE}", g="${g}"}`,
        truncatedAlerts: 0,
      });
      return { group: g, body };
    },
    alertKeys(g) {
      return Array.from({ length: size }, (_, i) => `${fingerprint(g, i)}/${startsAt(g)}`);
    },
  };
}

/**
 * evaluateAlert for one of the stream's alerts, in this process: the CPU cost per alert without the noise of a
 * shared machine. For ownerOf, the heads come from maps as the owner cache holds them (its informers' stores).
 */
function evaluateCost(sim: KubeSim, target: keyof typeof targets, delivery: string): number {
  const registry = createActionRegistry();
  const { table, problems } = loadPolicyText('bench.yaml', policy(targets[target]), registry);
  if (table === null) throw new Error(`owners: ${problems[0]?.message}`);
  const heads = new Map<string, ObjectHead>();
  for (const [apiVersion, kind] of [
    ['v1', 'Pod'],
    ['apps/v1', 'ReplicaSet'],
    ['apps/v1', 'Deployment'],
  ] as const) {
    for (const o of sim.objects.list(apiVersion, kind, NAMESPACE)) {
      heads.set(`${kind}/${o.metadata.name}`, { metadata: o.metadata } as ObjectHead);
    }
  }
  const lookup: HeadLookup = (kind: ChainKind, name: string) => heads.get(`${kind}/${name}`) ?? 'absent';
  const resolve =
    target === 'ownerOf' ? (s: Parameters<typeof walkOwnerChain>[0]) => walkOwnerChain(s, lookup) : undefined;
  const raw = (JSON.parse(delivery) as { alerts: unknown[] }).alerts[0];
  const alert = normaliseAlert(alertSchema.parse(raw));
  const outcome = evaluateAlert(table, alert, registry, resolve)[0];
  if (outcome?.outcome !== 'match')
    throw new Error(`owners: the ${target} policy does not match: ${JSON.stringify(outcome)}`);
  return nsPerCall(() => evaluateAlert(table, alert, registry, resolve).length);
}

async function resolutions(server: ServerChild): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^salve_owner_resolutions_total\{outcome="(\w+)"\} (\d+)$/gm)) {
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Waits until /readyz says the owner-chain cache has listed everything (ownerOf only). */
async function synced(server: ServerChild): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const body = (await (await fetch(`${server.url}/readyz`)).json()) as { checks: Record<string, string> };
    if (!body.checks.owners?.startsWith('syncing') && !body.checks.owners?.startsWith('not watching')) return;
    await sleep(100);
  }
  throw new Error('owners: the owner-chain cache did not sync within 30 s');
}

export async function benchOwners(
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<OwnersRun[]> {
  const sim = await startKubeSim({ tickMs: 0 });
  const runs: OwnersRun[] = [];
  try {
    progress(`owners: seeding ${DEPLOYMENTS} Deployments of ${REPLICAS} pods in ${NAMESPACE}`);
    for (let i = 0; i < DEPLOYMENTS; i++) {
      sim.seed.deployment({
        namespace: NAMESPACE,
        name: `svc-${String(i).padStart(3, '0')}`,
        replicas: REPLICAS,
        revisions: [{ image: 'registry.example/shop/svc:1.0.0' }],
      });
    }
    const pods = sim.objects.list('v1', 'Pod', NAMESPACE).map((p) => ({
      pod: p.metadata.name ?? '',
      deployment: p.metadata.labels?.app ?? '',
    }));
    const objects =
      pods.length +
      sim.objects.list('apps/v1', 'ReplicaSet', NAMESPACE).length +
      sim.objects.list('apps/v1', 'Deployment', NAMESPACE).length;
    for (const [i, target] of (['named', 'ownerOf'] as const).entries()) {
      const workspace = createWorkspace(options.dir, `owners-${target}`, policy(targets[target]));
      const server = await startServer({
        kind: 'salve',
        dir: workspace.dir,
        logLevel: options.logLevels[0] ?? 'info',
        settings: { SALVE_KUBECONFIG: sim.writeKubeconfig(workspace.dir) },
      });
      try {
        await synced(server);
        const stream = podAlertStream(pods, options.alertsPerDelivery, 300 + i);
        const evaluateNs = evaluateCost(sim, target, podAlertStream(pods, 1, 0).next().body);
        const load = (seconds: number) => {
          const run = startPacedLoad({ url: server.url, stream, perSecond: PER_SECOND, maxInFlight: 64 });
          return sleep(seconds * 1000).then(() => run.stop());
        };
        progress(
          `owners: ${target} (${options.warmup}s warm-up + ${options.duration}s at ${PER_SECOND} deliveries/s)`,
        );
        if (options.warmup > 0) await load(options.warmup);
        const before = await resolutions(server);
        const result = await load(options.duration);
        const after = await resolutions(server);
        const non202 = Object.fromEntries(
          Object.entries(result.statusCounts).filter(([status]) => status !== '202'),
        );
        runs.push({
          target,
          objects,
          evaluateNs,
          seconds: result.seconds,
          deliveriesPerSecond: result.acknowledged / result.seconds,
          p50Ms: percentile(result.latenciesMs, 50),
          p99Ms: percentile(result.latenciesMs, 99),
          maxMs: percentile(result.latenciesMs, 100),
          resolutions: Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)])),
          skipped: result.skipped,
          non202: result.errors > 0 ? { ...non202, errors: result.errors } : non202,
        });
      } finally {
        await server.kill9();
        workspace.remove();
      }
    }
    return runs;
  } finally {
    await sim.close();
  }
}

/** The webhook's p99 budget (bench/report.ts `targets.maxP99Ms`), here at a rate the server keeps up with. */
const maxP99Ms = 20;

export function ownersReport(runs: readonly OwnersRun[]): string {
  const objects = runs[0]?.objects ?? 0;
  const baseline = runs.find((r) => r.target === 'named');
  const rows = runs.map((run) => [
    run.target === 'named' ? 'name: {{ labels.deployment }}' : 'ownerOf: { kind: Pod }',
    grouped(run.evaluateNs),
    fixed(run.deliveriesPerSecond, 0),
    fixed(run.p50Ms, 2),
    fixed(run.p99Ms, 2),
    fixed(run.maxMs, 2),
    Number.isNaN(run.p99Ms) ? '-' : run.p99Ms <= maxP99Ms ? 'met' : 'MISSED',
    baseline && run !== baseline ? `${fixed(run.p99Ms - baseline.p99Ms, 2)}` : '-',
    run.target === 'named'
      ? '-'
      : ['cache', 'lookup', 'deferred', 'refused']
          .map((k) => `${k} ${grouped(run.resolutions[k] ?? 0)}`)
          .join(', '),
    Object.entries({ ...run.non202, ...(run.skipped > 0 ? { skipped: run.skipped } : {}) })
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || '-',
  ]);
  return [
    `Owner resolution at ingest: ${PER_SECOND} deliveries/s of 10 new KubePodCrashLooping alerts (open loop), one policy restarting the pod's Deployment; the owner-chain cache watches ${grouped(objects)} objects (${DEPLOYMENTS} Deployments x ${REPLICAS} pods) on the simulator`,
    renderTable(
      [
        'target',
        'evaluate ns/alert',
        'deliveries/s',
        '202 p50 ms',
        '202 p99 ms',
        'max ms',
        `p99 <= ${maxP99Ms} ms`,
        'p99 vs named ms',
        'resolutions',
        'non-202',
      ],
      rows,
    ),
  ].join('\n');
}
