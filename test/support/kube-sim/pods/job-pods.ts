import { type ControllerEnv, write } from '../controllers/env.js';
import type { KubeObject } from '../types.js';
import { isReady, isTerminal, terminatedStatus } from './kubelet.js';
import { podsOf } from './owned.js';
import { createPod, podFromTemplate, startPod, terminatePod } from './pod-ops.js';

const TRACKING = 'batch.kubernetes.io/job-tracking';

type JobSpec = {
  parallelism?: number;
  backoffLimit?: number;
  template?: { spec?: { restartPolicy?: string } };
};

/** The Job controller's pods: `<job>-<random>` with the template's labels (job-name, controller-uid, ...). */
export function startJobPods(env: ControllerEnv, job: KubeObject): number {
  const spec = job.spec as JobSpec;
  const want = spec.parallelism ?? 1;
  const have = podsOf(env, job).filter((p) => !isTerminal(p));
  for (let i = have.length; i < want; i++) {
    startPod(env, createPod(env, podFromTemplate(job, spec.template, { finalizers: [TRACKING] })));
  }
  return Math.max(want, have.length);
}

export function jobPodCounts(
  env: ControllerEnv,
  job: KubeObject,
): { active: number; ready: number; total: number } {
  const pods = podsOf(env, job);
  const live = pods.filter((p) => !isTerminal(p));
  return { active: live.length, ready: live.filter(isReady).length, total: pods.length };
}

/**
 * What a finished Job leaves behind. Succeeded: its pods completed (exit 0). Failed with restartPolicy Never: one
 * failed pod per attempt, backoffLimit + 1 of them; with OnFailure the controller deletes the pods. Either way the
 * tracking finalizer comes off once the controller has counted them.
 */
export function finishJobPods(env: ControllerEnv, job: KubeObject, outcome: 'succeeded' | 'failed'): void {
  const spec = job.spec as JobSpec;
  const pods = podsOf(env, job);
  const settle = (p: KubeObject, phase: 'Succeeded' | 'Failed') => {
    const { finalizers: _f, ...metadata } = p.metadata;
    write(env, { ...p, metadata, status: terminatedStatus(p, phase, env.now()) });
  };
  if (outcome === 'succeeded') {
    for (const p of pods) if (!isTerminal(p)) settle(p, 'Succeeded');
    return;
  }
  if (spec.template?.spec?.restartPolicy === 'OnFailure') {
    for (const p of pods) terminatePod(env, p);
    return;
  }
  for (const p of pods) if (!isTerminal(p)) settle(p, 'Failed');
  const attempts = (spec.backoffLimit ?? 6) + 1;
  for (let i = pods.length; i < attempts; i++) {
    const pod = startPod(
      env,
      createPod(env, podFromTemplate(job, spec.template, { finalizers: [TRACKING] })),
    );
    settle(pod, 'Failed');
  }
}
