import { finishJobPods, jobPodCounts, startJobPods } from '../pods/job-pods.js';
import type { KubeObject } from '../types.js';
import { clone, rfc3339 } from '../util.js';
import { type ControllerEnv, controllerRef, write } from './env.js';
import { num, specOf, statusOf } from './replicaset.js';

export type JobOutcome = 'succeeded' | 'failed';

/** A scenario's say on how Jobs end: by Job name, or every Job a CronJob owns. */
export type JobOutcomeRule = { namespace: string; name?: string; cronJob?: string; outcome: JobOutcome };

function isFinished(job: KubeObject): boolean {
  const conds = (statusOf(job).conditions ?? []) as Array<{ type: string; status: string }>;
  return conds.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

function ruleFor(env: ControllerEnv, job: KubeObject): JobOutcomeRule | undefined {
  const owner = controllerRef(job);
  return env.jobOutcomes.find(
    (r) =>
      r.namespace === job.metadata.namespace &&
      (r.name === undefined || r.name === job.metadata.name) &&
      (r.cronJob === undefined || (owner?.kind === 'CronJob' && owner.name === r.cronJob)),
  );
}

/**
 * A new, unsuspended Job starts at once: its pods are created and run. It finishes when the test says so
 * (finishJob), or on the tick after it started when a scenario rule (jobOutcomes) names it.
 */
export function syncJob(env: ControllerEnv, job: KubeObject): void {
  const status = statusOf(job);
  if (isFinished(job) || specOf(job).suspend === true) return;
  if (status.startTime !== undefined) {
    const rule = ruleFor(env, job);
    if (rule !== undefined) {
      finishJob(env, job, rule.outcome);
      return;
    }
    const pods = jobPodCounts(env, job);
    // A Job put with a status of its own (no pods of ours) keeps it.
    if (pods.total > 0)
      write(env, { ...clone(job), status: { ...status, active: pods.active, ready: pods.ready } });
    return;
  }
  startJobPods(env, job);
  const pods = jobPodCounts(env, job);
  const next = clone(job);
  next.status = {
    ...status,
    startTime: rfc3339(env.now()),
    active: num(pods.active),
    ready: pods.ready,
    terminating: 0,
    uncountedTerminatedPods: {},
  };
  write(env, next);
}

/** What the Job controller writes when a Job finishes (and what it leaves of the Job's pods). */
export function finishJob(env: ControllerEnv, job: KubeObject, outcome: JobOutcome): KubeObject {
  const now = rfc3339(env.now());
  const status = statusOf(job);
  const spec = specOf(job);
  const cond = (type: string, reason: string, message: string) => ({
    type,
    status: 'True',
    lastProbeTime: now,
    lastTransitionTime: now,
    reason,
    message,
  });
  finishJobPods(env, job, outcome);
  const base = { startTime: status.startTime ?? now, ready: 0, terminating: 0, uncountedTerminatedPods: {} };
  const next = clone(job);
  next.status =
    outcome === 'succeeded'
      ? {
          ...base,
          completionTime: now,
          succeeded: num(spec.completions ?? 1),
          conditions: [
            cond('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'),
            cond('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'),
          ],
        }
      : {
          ...base,
          failed: num(spec.backoffLimit ?? 6) + 1,
          conditions: [
            cond('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
            cond('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
          ],
        };
  return write(env, next);
}

export { isFinished as isJobFinished };
