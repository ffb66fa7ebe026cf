import { describe, expect, it } from 'vitest';
import {
  daemonSetStatus,
  deploymentStatus,
  statefulSetStatus,
} from '../../src/actions/k8s/rollout-status.js';
import type { Workload } from '../../src/kube/port.js';

function workload(overrides: {
  generation?: number;
  spec?: Partial<Workload['spec']>;
  status?: Workload['status'];
}): Workload {
  return {
    metadata: { name: 'scorer', namespace: 'ml-prod', generation: overrides.generation ?? 2 },
    spec: { selector: { matchLabels: { app: 'scorer' } }, template: {}, ...overrides.spec },
    ...(overrides.status === undefined ? {} : { status: overrides.status }),
  };
}

describe('deployment rollout status (kubectl rule)', () => {
  const settled = { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 };

  it('waits until the controller has observed the latest generation', () => {
    const state = deploymentStatus(
      workload({ spec: { replicas: 3 }, status: { ...settled, observedGeneration: 1 } }),
    );
    expect(state).toEqual({
      state: 'waiting',
      detail: 'Waiting for deployment spec update to be observed...',
    });
  });

  it('fails when the Progressing condition says the deadline was exceeded', () => {
    const state = deploymentStatus(
      workload({
        spec: { replicas: 3 },
        status: {
          ...settled,
          updatedReplicas: 1,
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
        },
      }),
    );
    expect(state.state).toBe('failed');
    expect(state.detail).toContain('exceeded its progress deadline');
  });

  it('waits while fewer replicas are updated than desired', () => {
    const state = deploymentStatus(
      workload({ spec: { replicas: 3 }, status: { ...settled, updatedReplicas: 1 } }),
    );
    expect(state.detail).toBe(
      'Waiting for deployment "scorer" rollout to finish: 1 out of 3 new replicas have been updated...',
    );
  });

  it('waits while old replicas are still terminating', () => {
    const state = deploymentStatus(workload({ spec: { replicas: 3 }, status: { ...settled, replicas: 4 } }));
    expect(state).toEqual({
      state: 'waiting',
      detail: 'Waiting for deployment "scorer" rollout to finish: 1 old replicas are pending termination...',
    });
  });

  it('waits while updated replicas are not yet available', () => {
    const state = deploymentStatus(
      workload({ spec: { replicas: 3 }, status: { ...settled, availableReplicas: 2 } }),
    );
    expect(state.state).toBe('waiting');
    expect(state.detail).toContain('2 of 3 updated replicas are available');
  });

  it('is done when every replica is updated and available', () => {
    expect(deploymentStatus(workload({ spec: { replicas: 3 }, status: settled }))).toEqual({
      state: 'done',
      detail: 'deployment "scorer" successfully rolled out',
    });
  });

  it('treats a missing status as not yet observed', () => {
    expect(deploymentStatus(workload({ spec: { replicas: 1 } })).state).toBe('waiting');
  });
});

describe('statefulset rollout status (kubectl rule)', () => {
  it('waits for the spec to be observed when observedGeneration is 0', () => {
    expect(statefulSetStatus(workload({ generation: 1, status: { observedGeneration: 0 } })).detail).toBe(
      'Waiting for statefulset spec update to be observed...',
    );
  });

  it('waits for pods to be ready', () => {
    const state = statefulSetStatus(
      workload({ spec: { replicas: 3 }, status: { observedGeneration: 2, readyReplicas: 1 } }),
    );
    expect(state).toEqual({ state: 'waiting', detail: 'Waiting for 2 pods to be ready...' });
  });

  it('waits while the update revision differs from the current one', () => {
    const state = statefulSetStatus(
      workload({
        spec: { replicas: 2 },
        status: {
          observedGeneration: 2,
          readyReplicas: 2,
          updatedReplicas: 1,
          currentRevision: 'a',
          updateRevision: 'b',
        },
      }),
    );
    expect(state.state).toBe('waiting');
  });

  it('is done when current and update revisions agree', () => {
    const state = statefulSetStatus(
      workload({
        spec: { replicas: 2 },
        status: {
          observedGeneration: 2,
          readyReplicas: 2,
          currentReplicas: 2,
          currentRevision: 'b',
          updateRevision: 'b',
        },
      }),
    );
    expect(state).toEqual({
      state: 'done',
      detail: 'statefulset rolling update complete 2 pods at revision b...',
    });
  });

  it('follows a partitioned rolling update', () => {
    const spec = { replicas: 4, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } };
    const base = { observedGeneration: 2, readyReplicas: 4 };
    expect(statefulSetStatus(workload({ spec, status: { ...base, updatedReplicas: 1 } })).state).toBe(
      'waiting',
    );
    expect(statefulSetStatus(workload({ spec, status: { ...base, updatedReplicas: 2 } })).state).toBe('done');
  });

  it('fails for the OnDelete strategy, which never rolls by itself', () => {
    expect(statefulSetStatus(workload({ spec: { updateStrategy: { type: 'OnDelete' } } })).state).toBe(
      'failed',
    );
  });
});

describe('daemonset rollout status (kubectl rule)', () => {
  it('waits while fewer pods are updated than scheduled', () => {
    const state = daemonSetStatus(
      workload({
        status: {
          observedGeneration: 2,
          desiredNumberScheduled: 3,
          updatedNumberScheduled: 1,
          numberAvailable: 3,
        },
      }),
    );
    expect(state.detail).toBe(
      'Waiting for daemon set "scorer" rollout to finish: 1 out of 3 new pods have been updated...',
    );
  });

  it('waits while updated pods are not available', () => {
    const state = daemonSetStatus(
      workload({
        status: {
          observedGeneration: 2,
          desiredNumberScheduled: 3,
          updatedNumberScheduled: 3,
          numberAvailable: 2,
        },
      }),
    );
    expect(state.state).toBe('waiting');
  });

  it('is done when every scheduled pod is updated and available', () => {
    const state = daemonSetStatus(
      workload({
        status: {
          observedGeneration: 2,
          desiredNumberScheduled: 3,
          updatedNumberScheduled: 3,
          numberAvailable: 3,
        },
      }),
    );
    expect(state).toEqual({ state: 'done', detail: 'daemon set "scorer" successfully rolled out' });
  });
});
