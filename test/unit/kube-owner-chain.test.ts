import { describe, expect, it } from 'vitest';
import {
  chainText,
  expectedControllers,
  type HeadLookup,
  walkOwnerChain,
} from '../../src/kube/owner-chain.js';
import { type ChainKind, chainKinds, type ObjectHead, type OwnerReference } from '../../src/kube/port.js';

const ns = 'shop';

type Stored = { kind: ChainKind; head: ObjectHead };

function head(name: string, owner?: OwnerReference, extra: Partial<ObjectHead['metadata']> = {}): ObjectHead {
  return {
    metadata: {
      name,
      namespace: ns,
      uid: `uid-${name}`,
      ...(owner === undefined ? {} : { ownerReferences: [owner] }),
      ...extra,
    },
  };
}

const controlledBy = (kind: string, name: string, controller = true): OwnerReference => ({
  apiVersion: kind === 'CronJob' || kind === 'Job' ? 'batch/v1' : 'apps/v1',
  kind,
  name,
  uid: `uid-${name}`,
  ...(controller ? { controller: true } : {}),
});

/** A lookup over a fixed set of heads: everything else is absent, unless listed as unknown. */
function lookupOf(objects: Stored[], unknown: string[] = []): HeadLookup {
  return (kind, name) => {
    if (unknown.includes(`${kind}/${name}`)) return 'unknown';
    return objects.find((o) => o.kind === kind && o.head.metadata.name === name)?.head ?? 'absent';
  };
}

const deployment: Stored[] = [
  { kind: 'Deployment', head: head('checkout') },
  { kind: 'ReplicaSet', head: head('checkout-6659b96fbc', controlledBy('Deployment', 'checkout')) },
  { kind: 'Pod', head: head('checkout-6659b96fbc-87jpc', controlledBy('ReplicaSet', 'checkout-6659b96fbc')) },
];

describe('walkOwnerChain', () => {
  it('follows Pod -> ReplicaSet -> Deployment through controller ownerReferences', () => {
    const walk = walkOwnerChain(
      { kind: 'Pod', namespace: ns, name: 'checkout-6659b96fbc-87jpc' },
      lookupOf(deployment),
    );
    expect(walk.status).toBe('resolved');
    if (walk.status !== 'resolved') return;
    expect(walk.chain.map((l) => `${l.kind}/${l.name}`)).toEqual([
      'Pod/checkout-6659b96fbc-87jpc',
      'ReplicaSet/checkout-6659b96fbc',
      'Deployment/checkout',
    ]);
    expect(chainText(ns, walk.chain)).toBe(
      'Pod shop/checkout-6659b96fbc-87jpc -> ReplicaSet shop/checkout-6659b96fbc -> Deployment shop/checkout',
    );
  });

  it('follows Pod -> Job -> CronJob, Job -> CronJob, Pod -> StatefulSet and ReplicaSet -> Deployment', () => {
    const objects: Stored[] = [
      ...deployment,
      { kind: 'CronJob', head: head('retrain') },
      { kind: 'Job', head: head('retrain-29538900', controlledBy('CronJob', 'retrain')) },
      { kind: 'Pod', head: head('retrain-29538900-x7k2p', controlledBy('Job', 'retrain-29538900')) },
      { kind: 'StatefulSet', head: head('orders-db') },
      { kind: 'Pod', head: head('orders-db-2', controlledBy('StatefulSet', 'orders-db')) },
    ];
    const top = (kind: ChainKind, name: string) => {
      const walk = walkOwnerChain({ kind, namespace: ns, name }, lookupOf(objects));
      return walk.status === 'resolved' ? walk.chain.map((l) => l.kind).join('>') : walk.status;
    };
    expect(top('Pod', 'retrain-29538900-x7k2p')).toBe('Pod>Job>CronJob');
    expect(top('Job', 'retrain-29538900')).toBe('Job>CronJob');
    expect(top('Pod', 'orders-db-2')).toBe('Pod>StatefulSet');
    expect(top('ReplicaSet', 'checkout-6659b96fbc')).toBe('ReplicaSet>Deployment');
  });

  it('follows an HPA to its scaleTargetRef, and on through that object controllers', () => {
    const objects: Stored[] = [
      { kind: 'Deployment', head: head('frontend') },
      {
        kind: 'HorizontalPodAutoscaler',
        head: {
          ...head('frontend'),
          spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'frontend' } },
        },
      },
    ];
    const walk = walkOwnerChain(
      { kind: 'HorizontalPodAutoscaler', namespace: ns, name: 'frontend' },
      lookupOf(objects),
    );
    expect(walk).toMatchObject({
      status: 'resolved',
      chain: [{ kind: 'HorizontalPodAutoscaler' }, { kind: 'Deployment', name: 'frontend' }],
    });
    const gone = walkOwnerChain(
      { kind: 'HorizontalPodAutoscaler', namespace: ns, name: 'frontend' },
      lookupOf(objects.slice(1)),
    );
    expect(gone).toMatchObject({ status: 'unresolved', why: 'owner_gone' });
  });

  it('stops at a controller of a kind it does not follow: that controller is the top', () => {
    const objects: Stored[] = [
      {
        kind: 'StatefulSet',
        head: head('prometheus-k8s', {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'Prometheus',
          name: 'k8s',
          uid: 'u',
          controller: true,
        }),
      },
      { kind: 'Pod', head: head('prometheus-k8s-0', controlledBy('StatefulSet', 'prometheus-k8s')) },
    ];
    const walk = walkOwnerChain({ kind: 'Pod', namespace: ns, name: 'prometheus-k8s-0' }, lookupOf(objects));
    // Qualified by its group: it can never pass for a built-in kind of the same name.
    expect(walk.status === 'resolved' && walk.chain.at(-1)).toEqual({
      kind: 'Prometheus.monitoring.coreos.com',
      name: 'k8s',
      uid: 'u',
    });
  });

  it('a bare ReplicaSet is the top of its pods; a pod with no controller, or only a non-controller owner, is unresolved', () => {
    const objects: Stored[] = [
      { kind: 'ReplicaSet', head: head('bare') },
      { kind: 'Pod', head: head('bare-abcde', controlledBy('ReplicaSet', 'bare')) },
      { kind: 'Pod', head: head('debug') },
      { kind: 'Pod', head: head('adopted', controlledBy('ReplicaSet', 'bare', false)) },
    ];
    expect(
      walkOwnerChain({ kind: 'Pod', namespace: ns, name: 'bare-abcde' }, lookupOf(objects)),
    ).toMatchObject({
      status: 'resolved',
      chain: [{ kind: 'Pod' }, { kind: 'ReplicaSet', name: 'bare' }],
    });
    for (const name of ['debug', 'adopted']) {
      expect(walkOwnerChain({ kind: 'Pod', namespace: ns, name }, lookupOf(objects))).toEqual({
        status: 'unresolved',
        why: 'no_controller',
        chain: [{ kind: 'Pod', name, uid: `uid-${name}` }],
        detail: `Pod shop/${name} has no controller`,
      });
    }
  });

  it('an object that does not exist, and an owner deleted or re-created under the same name, are unresolved', () => {
    expect(walkOwnerChain({ kind: 'Pod', namespace: ns, name: 'nope' }, lookupOf(deployment))).toMatchObject({
      status: 'unresolved',
      why: 'not_found',
      detail: 'Pod shop/nope does not exist',
    });
    const recreated: Stored[] = deployment.map((o) =>
      o.kind === 'Deployment' ? { ...o, head: head('checkout', undefined, { uid: 'another-uid' }) } : o,
    );
    expect(
      walkOwnerChain({ kind: 'Pod', namespace: ns, name: 'checkout-6659b96fbc-87jpc' }, lookupOf(recreated)),
    ).toMatchObject({
      status: 'unresolved',
      why: 'owner_gone',
      detail:
        'ReplicaSet shop/checkout-6659b96fbc is controlled by Deployment shop/checkout, which no longer exists',
    });
  });

  it('says which link it could not look up, so one read by name can settle it', () => {
    const walk = walkOwnerChain(
      { kind: 'Pod', namespace: ns, name: 'checkout-6659b96fbc-87jpc' },
      lookupOf(deployment, ['ReplicaSet/checkout-6659b96fbc']),
    );
    expect(walk).toMatchObject({
      status: 'unknown',
      missing: { kind: 'ReplicaSet', name: 'checkout-6659b96fbc' },
    });
  });

  it('a terminating pod still resolves, marked as such', () => {
    const objects: Stored[] = [
      ...deployment.filter((o) => o.kind !== 'Pod'),
      {
        kind: 'Pod',
        head: head('checkout-6659b96fbc-87jpc', controlledBy('ReplicaSet', 'checkout-6659b96fbc'), {
          deletionTimestamp: '2026-03-01T10:00:00Z',
        }),
      },
    ];
    const walk = walkOwnerChain(
      { kind: 'Pod', namespace: ns, name: 'checkout-6659b96fbc-87jpc' },
      lookupOf(objects),
    );
    expect(walk.status === 'resolved' && chainText(ns, walk.chain)).toMatch(
      /^Pod shop\/checkout-6659b96fbc-87jpc \(terminating\) -> /,
    );
  });

  it('follows only the links Kubernetes writes: a forged controller reference, a loop or a look-alike kind ends the walk', () => {
    const objects: Stored[] = [
      ...deployment,
      { kind: 'Deployment', head: head('payments') },
      // Anyone who can create a pod can name any object of the namespace its controller.
      { kind: 'Pod', head: head('forged', controlledBy('Deployment', 'payments')) },
      { kind: 'Pod', head: head('forged-job', controlledBy('CronJob', 'nightly')) },
      { kind: 'ReplicaSet', head: head('a', controlledBy('ReplicaSet', 'b')) },
      { kind: 'ReplicaSet', head: head('b', controlledBy('ReplicaSet', 'a')) },
      { kind: 'Deployment', head: head('self', controlledBy('ReplicaSet', 'self-rs')) },
      { kind: 'ReplicaSet', head: head('self-rs', controlledBy('Deployment', 'self')) },
      {
        kind: 'Pod',
        head: head('lookalike', {
          apiVersion: 'evil.example/v1',
          kind: 'Deployment',
          name: 'payments',
          uid: 'uid-payments',
          controller: true,
        }),
      },
    ];
    const walk = (kind: ChainKind, name: string) =>
      walkOwnerChain({ kind, namespace: ns, name }, lookupOf(objects));
    expect(walk('Pod', 'forged')).toEqual({
      status: 'unresolved',
      why: 'unexpected_controller',
      chain: [{ kind: 'Pod', name: 'forged', uid: 'uid-forged' }],
      detail:
        'Pod shop/forged names Deployment shop/payments as its controller, which Kubernetes never does (a Pod is controlled by a ReplicaSet or StatefulSet or DaemonSet or Job): not followed',
    });
    expect(walk('Pod', 'forged-job')).toMatchObject({ why: 'unexpected_controller' });
    expect(walk('ReplicaSet', 'a')).toMatchObject({ why: 'unexpected_controller', chain: [{ name: 'a' }] });
    expect(walk('ReplicaSet', 'self-rs')).toMatchObject({
      why: 'unexpected_controller',
      chain: [{ name: 'self-rs' }, { kind: 'Deployment', name: 'self' }],
    });
    // Another group's Deployment is not a Deployment: it stays the top, under its qualified kind.
    expect(walk('Pod', 'lookalike')).toMatchObject({
      status: 'resolved',
      chain: [{ kind: 'Pod' }, { kind: 'Deployment.evil.example', name: 'payments' }],
    });
  });

  it('no chain is longer than three links: the controllers Kubernetes writes never loop', () => {
    const depth = (kind: ChainKind): number =>
      1 + Math.max(0, ...expectedControllers[kind].map((k) => depth(k)));
    for (const kind of chainKinds) expect(depth(kind)).toBeLessThanOrEqual(3);
  });
});
