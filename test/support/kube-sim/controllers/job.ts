import type { KubeObject } from '../types.js';
import { clone, rfc3339 } from '../util.js';
import { type ControllerEnv, write } from './env.js';
import { num, specOf, statusOf } from './replicaset.js';

/** A new, unsuspended Job starts at once: its pods are active. Completion is up to the test (finishJob). */
export function syncJob(env: ControllerEnv, job: KubeObject): void {
  const status = statusOf(job);
  const settled =
    status.startTime !== undefined || status.conditions !== undefined || status.succeeded !== undefined;
  if (settled || specOf(job).suspend === true) return;
  const next = clone(job);
  next.status = {
    ...status,
    startTime: rfc3339(env.now()),
    active: num(specOf(job).parallelism ?? 1),
    ready: 0,
    terminating: 0,
    uncountedTerminatedPods: {},
  };
  write(env, next);
}

export type JobOutcome = 'succeeded' | 'failed';

/** What the Job controller writes when a Job finishes. */
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
