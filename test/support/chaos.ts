import fs from 'node:fs';
import { type ChildSalve, startChildSalve } from './child-salve.js';
import { fingerprintOf, payload } from './fixtures.js';
import type { KubeSim } from './kube-sim/index.js';
import type { TestPostgres } from './postgres.js';
import { alertmanagerHeaders } from './requests.js';
import { prepareSalveDir, replicaEnv } from './salve-dir.js';

/** One step, no rollout to wait for: each target is restarted once and the heal then waits for resolution. */
export const chaosPolicy = `apiVersion: salve/v1
policies:
  - name: serving-restart
    description: Restart a serving Deployment whose error rate is high
    match:
      - alertname="ModelServingErrorRate"
    target:
      kind: Deployment
      namespace: "{{ labels.namespace }}"
      name: "{{ labels.deployment }}"
    allow: { namespaces: [ml-prod] }
    steps:
      - action: k8s.restart
        verify: { resolved: 30m }
`;

export type Cluster = {
  database: string;
  replicas: ChildSalve[];
  /** Last warnings and errors of each replica, for a failing test's report. */
  report(): string;
  stop(): Promise<void>;
};

/**
 * `n` salve processes on one new database, sharing policies and tokens. `storeFor` lets a replica reach the
 * database another way (through a TCP proxy).
 */
export async function startCluster(options: {
  pg: TestPostgres;
  sim: KubeSim;
  n: number;
  env?: Record<string, string>;
  storeFor?: (database: string, replica: number) => string;
  /** Where the replicas reach the Kubernetes API, when not at the simulator itself (a proxy in between). */
  kubeUrl?: string;
}): Promise<Cluster> {
  const database = await options.pg.createDatabase();
  const shared = prepareSalveDir({ 'serving.yaml': chaosPolicy });
  const { dir } = shared;
  const kubeconfig = options.sim.writeKubeconfig(dir);
  if (options.kubeUrl) {
    fs.writeFileSync(
      kubeconfig,
      fs.readFileSync(kubeconfig, 'utf8').replace(options.sim.url, options.kubeUrl),
    );
  }
  const replicas: ChildSalve[] = [];
  // One after another: several tsx compilations at once on a small machine can outlast the start timeout.
  for (let i = 0; i < options.n; i++) {
    replicas.push(
      await startChildSalve({
        SALVE_STORE: options.storeFor?.(database, i) ?? database,
        ...replicaEnv(shared, i),
        SALVE_KUBECONFIG: kubeconfig,
        ...options.env,
      }),
    );
  }
  return {
    database,
    replicas,
    report: () =>
      replicas
        .map((r, i) => {
          const lines = r
            .output()
            .split('\n')
            .filter((l) => !l.includes('"level":30'));
          return `replica ${i} (pid ${r.process.pid}, exit ${r.process.exitCode}):\n${lines.slice(-25).join('\n')}`;
        })
        .join('\n'),
    async stop() {
      await Promise.all(replicas.map((r) => r.stop()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Sample = {
  replica: number;
  target: string;
  fingerprint: string;
  /** HTTP status; 0: no answer at all (connection refused, reset, or 15 s without a reply). */
  status: number;
  /** performance.now() when the request was sent, and how long the answer took. */
  start: number;
  ms: number;
};

export type Load = {
  samples: Sample[];
  /** Targets the load has fired alerts for, in order. */
  targets: string[];
  stop(): Promise<Sample[]>;
};

/**
 * Alertmanager-shaped deliveries from `concurrency` clients, round robin over the replicas, each carrying one
 * new alert. A new target starts every `newTargetEveryMs`, so heals open (and act) all through a fault;
 * `onTarget` prepares it (seeds its Deployment) before its first alert goes out.
 */
export function startLoad(options: {
  urls: string[];
  concurrency: number;
  prefix: string;
  newTargetEveryMs: number;
  onTarget(name: string): void;
}): Load {
  const samples: Sample[] = [];
  const targets: string[] = [];
  const started = performance.now();
  let sent = 0;
  let running = true;

  async function client(): Promise<void> {
    while (running) {
      const i = sent++;
      const target = `${options.prefix}-${Math.floor((performance.now() - started) / options.newTargetEveryMs)}`;
      if (!targets.includes(target)) {
        targets.push(target);
        options.onTarget(target);
      }
      const replica = i % options.urls.length;
      const labels = {
        alertname: 'ModelServingErrorRate',
        namespace: 'ml-prod',
        deployment: target,
        pod: `p${i}`,
      };
      const body = payload([{ labels }]);
      const t0 = performance.now();
      let status = 0;
      try {
        const res = await fetch(`${options.urls[replica]}/v1/alertmanager`, {
          method: 'POST',
          headers: alertmanagerHeaders(),
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
        status = res.status;
        await res.arrayBuffer();
      } catch {
        status = 0;
      }
      samples.push({
        replica,
        target,
        fingerprint: fingerprintOf(labels),
        status,
        start: t0,
        ms: performance.now() - t0,
      });
      // A refused delivery is retried by Alertmanager after a pause, not in a tight loop.
      if (status !== 202) await new Promise((r) => setTimeout(r, 100));
    }
  }

  const clients = Array.from({ length: options.concurrency }, () => client());
  return {
    samples,
    targets,
    async stop() {
      running = false;
      await Promise.all(clients);
      return samples;
    },
  };
}

/** The 99th percentile (nearest rank) of `values`. */
export function p99(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}

/**
 * Per replica, how long after `from` its first delivery sent from then on was answered 202: how long salve took
 * to use the database again once it was back. Infinity if none was.
 */
export function recoveryMs(samples: Sample[], replicas: number, from: number): number[] {
  return Array.from({ length: replicas }, (_, replica) => {
    const ok = samples.filter((s) => s.replica === replica && s.status === 202 && s.start >= from);
    return ok.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...ok.map((s) => s.start + s.ms)) - from;
  });
}

/** PATCHes of Deployments the simulator received, and salve's Events about them, by Deployment. */
export function kubeEffects(sim: KubeSim): { patches: Map<string, number>; events: Map<string, number> } {
  const patches = new Map<string, number>();
  const events = new Map<string, number>();
  for (const r of sim.requests) {
    const patch = /\/deployments\/([^/]+)$/.exec(r.path);
    if (r.method === 'PATCH' && patch) patches.set(patch[1]!, (patches.get(patch[1]!) ?? 0) + 1);
  }
  for (const e of sim.objects.list('events.k8s.io/v1', 'Event', 'ml-prod')) {
    // salve's own Events; the simulator's controllers record theirs about Pods.
    if (e.reportingController !== 'salve.dev/salve') continue;
    const name = (e.regarding as { name?: string } | undefined)?.name ?? '?';
    events.set(name, (events.get(name) ?? 0) + 1);
  }
  return { patches, events };
}
