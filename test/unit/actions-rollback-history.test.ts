import { describe, expect, it } from 'vitest';
import { equalIgnoreHash, semanticEqual } from '../../src/actions/k8s/template.js';
import { k8sRollback } from '../../src/actions/k8s-rollback/action.js';
import { imagesOf, lastKnownGood, sameRelease } from '../../src/actions/k8s-rollback/choice.js';
import {
  findReplicaSetRevision,
  revisionOf,
  rollbackAnnotations,
} from '../../src/actions/k8s-rollback/deployment-undo.js';
import { findControllerRevision, revisionTemplate } from '../../src/actions/k8s-rollback/history-undo.js';
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

describe('last known good (k8s.rollback default)', () => {
  const template = (image: string, annotations: Record<string, string> = {}) => ({
    metadata: { labels: { app: 'scorer' }, annotations },
    spec: { containers: [{ name: 'scorer', image }] },
  });
  const entry = (
    revision: number,
    image: string,
    createdAt: string,
    annotations: Record<string, string> = {},
  ) => ({
    revision,
    name: `scorer-${revision}`,
    template: template(image, annotations),
    createdAt,
  });
  const restartedAt = { 'kubectl.kubernetes.io/restartedAt': '2026-11-27T03:01:00Z' };
  const base = { mode: 'lastKnownGood' as const, includeAfterAlertStart: false };

  it('treats restartedAt, salve.dev/ annotations and the hash label as the same release; anything else differs', () => {
    const plain = template('scorer:2');
    expect(
      sameRelease(plain, {
        ...template('scorer:2', { ...restartedAt, 'salve.dev/restart-for': 'heal_x/1' }),
        metadata: {
          labels: { app: 'scorer', 'pod-template-hash': 'abc' },
          annotations: { ...restartedAt, 'salve.dev/restart-for': 'heal_x/1' },
        },
      }),
    ).toBe(true);
    expect(sameRelease(plain, template('scorer:2', { 'prometheus.io/scrape': 'true' }))).toBe(false);
    expect(sameRelease(plain, template('scorer:3'))).toBe(false);
    expect(imagesOf(template('scorer:2'))).toEqual(['scorer:2']);
  });

  it('passes over restart-only revisions, whatever their order in the list', () => {
    const history = [
      entry(3, 'scorer:2', '2026-11-27T03:01:00Z', restartedAt),
      entry(1, 'scorer:1', '2026-11-26T10:00:00Z'),
      entry(2, 'scorer:2', '2026-11-27T02:00:00Z'),
    ];
    const choice = lastKnownGood(
      history,
      template('scorer:2', restartedAt),
      base,
      'Deployment ml-prod/scorer',
    );
    expect(choice.entry.revision).toBe(1);
    expect(choice.skipped).toEqual({ restartsOnly: [2], afterAlertStart: [] });
    expect(choice.why).toContain('no alert start known (manual heal)');
  });

  it('passes over revisions created after the alert began, unless allowed', () => {
    const history = [
      entry(1, 'scorer:1', '2026-11-26T10:00:00Z'),
      entry(2, 'scorer:2', '2026-11-27T02:00:00Z'),
      entry(3, 'scorer:3', '2026-11-27T03:05:00Z'),
      entry(4, 'scorer:2', '2026-11-27T02:00:00Z'),
    ];
    const current = template('scorer:2');
    const alertStartedAt = '2026-11-27T03:00:00.000Z';
    const bound = lastKnownGood(history, current, { ...base, alertStartedAt }, 'x');
    expect(bound.entry.revision).toBe(1);
    expect(bound.skipped.afterAlertStart).toEqual([3]);
    expect(bound.why).toContain(
      'created 2026-11-26T10:00:00Z, before the alert began at 2026-11-27T03:00:00.000Z',
    );
    const open = lastKnownGood(
      history,
      current,
      { ...base, alertStartedAt, includeAfterAlertStart: true },
      'x',
    );
    expect(open.entry.revision).toBe(3);
  });

  it('refuses, naming every revision passed over and why, rather than "succeeding" with no change', () => {
    const history = [
      entry(1, 'scorer:2', '2026-11-27T02:00:00Z'),
      entry(2, 'scorer:2', '2026-11-27T03:01:00Z', restartedAt),
    ];
    const err = refusal(() =>
      lastKnownGood(history, template('scorer:2', restartedAt), base, 'Deployment ml-prod/scorer'),
    );
    expect(err).toMatchObject({ code: 'SALVE_ACTION_REFUSED', retryable: false });
    expect(err.message).toBe(
      'no earlier revision of Deployment ml-prod/scorer runs another release than the current one; revision 1 differs only by restarts',
    );
  });

  it('validates its parameters: toRevision excludes mode; includeAfterAlertStart only with lastKnownGood', () => {
    expect(k8sRollback.params.safeParse({}).success).toBe(true);
    expect(k8sRollback.params.safeParse({ mode: 'previous' }).success).toBe(true);
    expect(k8sRollback.params.safeParse({ toRevision: 2, mode: 'previous' }).success).toBe(false);
    expect(k8sRollback.params.safeParse({ mode: 'previous', includeAfterAlertStart: true }).success).toBe(
      false,
    );
    expect(k8sRollback.params.safeParse({ mode: 'newest' }).success).toBe(false);
    expect(k8sRollback.describe({ kind: 'Deployment', namespace: 'ml', name: 's' }, {})).toContain(
      'last known good release',
    );
  });
});
