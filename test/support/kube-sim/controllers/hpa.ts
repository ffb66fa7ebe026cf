import type { KubeObject } from '../types.js';
import { clone, rfc3339 } from '../util.js';
import { type Condition, setCondition } from './conditions.js';
import { type ControllerEnv, write } from './env.js';
import { num, specOf, statusOf } from './replicaset.js';

type Target = { apiVersion?: string; kind?: string; name?: string };

const GROUP_OF: Record<string, string> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
};

/**
 * The HorizontalPodAutoscaler controller without metrics: the scenario decides status.desiredReplicas (the
 * recommendation); the controller clamps it to [minReplicas, maxReplicas], scales the scaleTargetRef to it (undoing
 * anyone else's scaling, as a real HPA does), reports currentReplicas from the target and sets the AbleToScale,
 * ScalingActive and ScalingLimited conditions. An HPA whose status names no desiredReplicas only observes.
 */
export function syncHpa(env: ControllerEnv, hpa: KubeObject): void {
  const spec = specOf(hpa);
  const target = (spec.scaleTargetRef ?? {}) as Target;
  const ns = hpa.metadata.namespace ?? '';
  const apiVersion = target.apiVersion ?? GROUP_OF[target.kind ?? ''] ?? 'apps/v1';
  const obj = env.store.get(apiVersion, target.kind ?? '', ns, target.name ?? '');
  const prev = statusOf(hpa);
  const now = env.now();
  let conds = clone((prev.conditions ?? []) as Condition[]);
  if (obj === undefined) {
    conds = setCondition(
      conds,
      'AbleToScale',
      'False',
      'FailedGetScale',
      `the HPA controller was unable to get the target's current scale: ${(target.kind ?? '').toLowerCase()}s.apps "${target.name}" not found`,
      now,
    );
    write(env, { ...clone(hpa), status: { ...prev, conditions: conds } });
    return;
  }
  const min = num(spec.minReplicas ?? 1);
  const max = num(spec.maxReplicas);
  const status: Record<string, unknown> = { ...prev };
  const wanted = recommendation(env, hpa, prev.desiredReplicas);
  if (typeof wanted === 'number') {
    const desired = Math.min(max, Math.max(min, wanted));
    status.desiredReplicas = desired;
    env.memo.set(`hpa/${hpa.metadata.uid}`, JSON.stringify({ wanted, written: desired }));
    conds = setCondition(
      conds,
      'AbleToScale',
      'True',
      'ReadyForNewScale',
      'recommended size matches current size',
      now,
    );
    conds = setCondition(
      conds,
      'ScalingActive',
      'True',
      'ValidMetricFound',
      'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
      now,
    );
    conds =
      wanted >= max
        ? setCondition(
            conds,
            'ScalingLimited',
            'True',
            'TooManyReplicas',
            'the desired replica count is more than the maximum replica count',
            now,
          )
        : wanted <= min
          ? setCondition(
              conds,
              'ScalingLimited',
              'True',
              'TooFewReplicas',
              'the desired replica count is less than the minimum replica count',
              now,
            )
          : setCondition(
              conds,
              'ScalingLimited',
              'False',
              'DesiredWithinRange',
              'the desired count is within the acceptable range',
              now,
            );
    if (num(specOf(obj).replicas) !== desired) {
      write(env, { ...obj, spec: { ...specOf(obj), replicas: desired } });
      status.lastScaleTime = rfc3339(now);
    }
  }
  status.currentReplicas = num(statusOf(obj).replicas ?? specOf(obj).replicas);
  status.conditions = conds;
  write(env, { ...clone(hpa), status });
}

/**
 * What the metrics would recommend: what the scenario last wrote to status.desiredReplicas. The controller writes
 * the clamped count there itself, as a real HPA does, so the recommendation is remembered beside it: a raised
 * maxReplicas lets the HPA reach what it wanted all along, as a real HPA's metrics would.
 */
function recommendation(env: ControllerEnv, hpa: KubeObject, written: unknown): unknown {
  const memo = env.memo.get(`hpa/${hpa.metadata.uid}`);
  if (memo === undefined) return written;
  const last = JSON.parse(memo) as { wanted: number; written: number };
  return written === last.written ? last.wanted : written;
}
