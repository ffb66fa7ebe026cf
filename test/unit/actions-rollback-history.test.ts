import { describe, expect, it } from 'vitest';
import { equalIgnoreHash, semanticEqual } from '../../src/actions/k8s-template.js';
import {
  findReplicaSetRevision,
  revisionOf,
  rollbackAnnotations,
} from '../../src/actions/rollout-deployment-undo.js';
import { findControllerRevision, revisionTemplate } from '../../src/actions/rollout-history-undo.js';
import { ActionFailed } from '../../src/errors.js';
import type { ControllerRevision, ReplicaSet, Workload } from '../../src/kube/port.js';

const deployment: Workload = {
  metadata: {
    name: 'scorer',
    uid: 'd-1',
    annotations: {
      'deployment.kubernetes.io/revision': '3',
      'kubectl.kubernetes.io/last-applied-configuration': '{"apply":true}',
      'team.example/owner': 'ml',
    },
  },
  spec: { selector: { matchLabels: { app: 'scorer' } }, template: {} },
};

function replicaSet(
  name: string,
  revision: string | undefined,
  annotations: Record<string, string> = {},
): ReplicaSet {
  return {
    metadata: {
      name,
      annotations:
        revision === undefined
          ? annotations
          : { ...annotations, 'deployment.kubernetes.io/revision': revision },
    },
    spec: { template: { metadata: { labels: { app: 'scorer', 'pod-template-hash': name } } } },
  };
}

function refusal(fn: () => unknown): ActionFailed {
  try {
    fn();
  } catch (err) {
    if (err instanceof ActionFailed) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('finding the revision to roll back to (kubectl deploymentRevision)', () => {
  const history = [replicaSet('a', '1'), replicaSet('c', '3'), replicaSet('b', '2')];

  it('picks the second-highest revision for "previous", whatever the list order', () => {
    expect(findReplicaSetRevision(deployment, history, 0)).toMatchObject({
      revision: 2,
      replicaSet: { metadata: { name: 'b' } },
    });
  });

  it('picks the exact revision when one is asked for', () => {
    expect(findReplicaSetRevision(deployment, history, 1).replicaSet.metadata.name).toBe('a');
  });

  it('refuses, not retryable, when the asked revision is not in history', () => {
    const err = refusal(() => findReplicaSetRevision(deployment, history, 7));
    expect(err.code).toBe('SALVE_ACTION_REFUSED');
    expect(err.retryable).toBe(false);
    expect(err.message).toBe('unable to find specified revision 7 in history');
  });

  it('refuses with "no rollout history found" when only one revision exists', () => {
    const err = refusal(() => findReplicaSetRevision(deployment, [replicaSet('a', '1')], 0));
    expect(err.message).toBe('no rollout history found for deployment "scorer"');
  });

  it('counts a ReplicaSet without the revision annotation as revision 0 and skips unparsable ones', () => {
    expect(revisionOf({})).toBe(0);
    expect(revisionOf({ 'deployment.kubernetes.io/revision': 'x' })).toBeUndefined();
    const picked = findReplicaSetRevision(
      deployment,
      [replicaSet('z', undefined), replicaSet('y', 'bad'), replicaSet('a', '1')],
      0,
    );
    expect(picked).toMatchObject({ revision: 0, replicaSet: { metadata: { name: 'z' } } });
  });
});

describe('rollback annotations (kubectl rule)', () => {
  it('keeps the Deployment own values only for the skip list and takes the rest from the ReplicaSet', () => {
    const rs = replicaSet('b', '2', {
      'team.example/owner': 'data',
      'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}',
      'deployment.kubernetes.io/desired-replicas': '3',
    });
    expect(rollbackAnnotations(deployment, rs, 'heal-1/1')).toEqual({
      'deployment.kubernetes.io/revision': '3',
      'kubectl.kubernetes.io/last-applied-configuration': '{"apply":true}',
      'team.example/owner': 'data',
      'salve.dev/rollback-for': 'heal-1/1',
    });
  });
});

describe('template comparison', () => {
  it('ignores the pod-template-hash label', () => {
    expect(
      equalIgnoreHash(
        {
          metadata: { labels: { app: 'x', 'pod-template-hash': 'abc' } },
          spec: { containers: [{ name: 'c', image: 'i:1' }] },
        },
        { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } },
      ),
    ).toBe(true);
  });

  it('sees a different image', () => {
    expect(
      equalIgnoreHash(
        { spec: { containers: [{ name: 'c', image: 'i:1' }] } },
        { spec: { containers: [{ name: 'c', image: 'i:2' }] } },
      ),
    ).toBe(false);
  });

  it('treats null, missing and empty collections alike and ignores key order', () => {
    expect(semanticEqual({ metadata: { creationTimestamp: null, labels: {} }, a: 1, b: [] }, { a: 1 })).toBe(
      true,
    );
    expect(semanticEqual({ a: { x: 1, y: 2 } }, { a: { y: 2, x: 1 } })).toBe(true);
    expect(semanticEqual([1, 2], [2, 1])).toBe(false);
  });
});

describe('ControllerRevision history (StatefulSet, DaemonSet)', () => {
  const revision = (n: number): ControllerRevision => ({
    metadata: { name: `web-${n}` },
    revision: n,
    data: {
      spec: { template: { $patch: 'replace', spec: { containers: [{ name: 'c', image: `i:${n}` }] } } },
    },
  });

  it('picks the second-highest revision for "previous"', () => {
    expect(findControllerRevision([revision(3), revision(1), revision(2)], 0).revision).toBe(2);
  });

  it('refuses "no last revision to roll back to" with a single revision', () => {
    expect(refusal(() => findControllerRevision([revision(1)], 0)).message).toBe(
      'no last revision to roll back to',
    );
  });

  it('refuses an unknown revision', () => {
    expect(refusal(() => findControllerRevision([revision(1), revision(2)], 5)).message).toBe(
      'unable to find specified revision 5 in history',
    );
  });

  it('reads the stored template without the $patch directive', () => {
    expect(revisionTemplate(revision(2))).toEqual({ spec: { containers: [{ name: 'c', image: 'i:2' }] } });
    expect(revisionTemplate({ metadata: {}, revision: 1 })).toBeUndefined();
  });
});
