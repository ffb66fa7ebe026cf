import { randomUUID } from 'node:crypto';
import { beforeCreate } from '../on-create.js';
import type { KubeObject } from '../types.js';
import { clone, getPath, rfc3339 } from '../util.js';
import { type ControllerEnv, ownedBy, ownerRefTo, write } from './env.js';
import { isJobFinished } from './job.js';
import { num, specOf, statusOf } from './replicaset.js';

const SCHEDULED = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/**
 * What the CronJob controller does at a scheduled time (`at`, default the simulator's now): a Job named
 * `<cronjob>-<minutes since the epoch>` from jobTemplate, with the scheduled-timestamp annotation and a controller
 * reference. Schedules are never evaluated on their own; a test or scenario calls this.
 */
export function runCronJob(env: ControllerEnv, cj: KubeObject, at = env.now()): KubeObject {
  const minute = Math.floor(at / 60_000);
  const template = (getPath(cj, ['spec', 'jobTemplate']) ?? {}) as {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: unknown;
  };
  const job: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${cj.metadata.name}-${minute}`,
      namespace: cj.metadata.namespace,
      uid: randomUUID(),
      labels: { ...template.metadata?.labels },
      annotations: { ...template.metadata?.annotations, [SCHEDULED]: rfc3339(minute * 60_000) },
      ownerReferences: [ownerRefTo(cj)],
    },
    spec: clone(template.spec ?? {}),
  };
  if (Object.keys(job.metadata.labels ?? {}).length === 0) delete job.metadata.labels;
  beforeCreate(job);
  const saved = write(env, job);
  syncCronJob(
    env,
    env.store.get('batch/v1', 'CronJob', cj.metadata.namespace ?? '', cj.metadata.name ?? '') ?? cj,
  );
  return saved;
}

function finishedAt(job: KubeObject): string {
  const conds = (statusOf(job).conditions ?? []) as Array<{ type: string; lastTransitionTime?: string }>;
  return String(
    statusOf(job).completionTime ?? conds.find((c) => c.type === 'Failed')?.lastTransitionTime ?? '',
  );
}

function succeeded(job: KubeObject): boolean {
  const conds = (statusOf(job).conditions ?? []) as Array<{ type: string; status: string }>;
  return conds.some((c) => c.type === 'Complete' && c.status === 'True');
}

/**
 * The CronJob controller's bookkeeping: status.active lists its unfinished Jobs (manual ones included, as the
 * controller adopts them), lastScheduleTime and lastSuccessfulTime follow its Jobs, and finished Jobs beyond
 * successfulJobsHistoryLimit / failedJobsHistoryLimit are deleted oldest first.
 */
export function syncCronJob(env: ControllerEnv, cj: KubeObject): void {
  const ns = cj.metadata.namespace ?? '';
  const jobs = ownedBy(env.store.list('batch/v1', 'Job', ns), cj.metadata.uid);
  const spec = specOf(cj);
  const prune = (list: KubeObject[], limit: number) => {
    const sorted = [...list].sort((a, b) => finishedAt(a).localeCompare(finishedAt(b)));
    for (const j of sorted.slice(0, Math.max(0, sorted.length - limit))) {
      env.store.remove('batch/v1', 'Job', ns, j.metadata.name ?? '');
      for (const p of ownedBy(env.store.list('v1', 'Pod', ns), j.metadata.uid))
        env.store.remove('v1', 'Pod', ns, p.metadata.name ?? '');
    }
  };
  const finished = jobs.filter(isJobFinished);
  prune(finished.filter(succeeded), num(spec.successfulJobsHistoryLimit ?? 3));
  prune(
    finished.filter((j) => !succeeded(j)),
    num(spec.failedJobsHistoryLimit ?? 1),
  );
  const active = jobs
    .filter((j) => !isJobFinished(j))
    .map((j) => ({
      kind: 'Job',
      namespace: ns,
      name: j.metadata.name,
      uid: j.metadata.uid,
      apiVersion: 'batch/v1',
      resourceVersion: j.metadata.resourceVersion,
    }));
  const scheduled = jobs
    .map((j) => j.metadata.annotations?.[SCHEDULED])
    .filter((t): t is string => t !== undefined)
    .sort();
  const successes = finished.filter(succeeded).map(finishedAt).sort();
  const status: Record<string, unknown> = { ...statusOf(cj) };
  if (active.length > 0) status.active = active;
  else delete status.active;
  if (scheduled.length > 0) status.lastScheduleTime = scheduled.at(-1);
  if (successes.length > 0) status.lastSuccessfulTime = successes.at(-1);
  write(env, { ...clone(cj), status });
}
