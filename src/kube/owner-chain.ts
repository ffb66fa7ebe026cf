import { type ChainKind, isChainKind, type ObjectHead } from './port.js';

// Owner chains, as controllers leave them: Pod -> ReplicaSet -> Deployment, Pod -> StatefulSet / DaemonSet,
// Pod -> Job -> CronJob, and an HPA -> what its spec.scaleTargetRef names. Pure: the walk reads heads through a
// lookup (the watched cache, or what one bounded read found) and decides nothing else.

/**
 * What `ownerOf` may name, and the kinds its top controller can be: what the built-in controllers create. A
 * policy whose target kind is not among them could never apply, so it is refused at load.
 */
export const ownerOfTops = {
  Pod: ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'ReplicaSet', 'Job'],
  ReplicaSet: ['Deployment'],
  Job: ['CronJob'],
  HorizontalPodAutoscaler: ['Deployment', 'StatefulSet', 'ReplicaSet'],
} as const satisfies Record<string, readonly ChainKind[]>;
export type OwnerOfKind = keyof typeof ownerOfTops;
export const ownerOfKinds = Object.keys(ownerOfTops) as OwnerOfKind[];

/** The kinds to watch for subjects of these kinds: every kind their chains can pass through. */
export function chainKindsFor(subjects: Iterable<OwnerOfKind>): Set<ChainKind> {
  const kinds = new Set<ChainKind>();
  for (const subject of subjects) {
    kinds.add(subject);
    for (const top of ownerOfTops[subject]) kinds.add(top);
  }
  // A ReplicaSet on the way may belong to a Deployment, a Job to a CronJob.
  if (kinds.has('ReplicaSet')) kinds.add('Deployment');
  if (kinds.has('Job')) kinds.add('CronJob');
  return kinds;
}

/** One object of a chain; `deleting` when it is terminating (it still resolves). */
export type ChainLink = { kind: string; name: string; uid?: string; deleting?: true };

/** The object an alert is about: `ownerOf` of a policy, filled from the alert's labels. */
export type ChainSubject = { kind: ChainKind; namespace: string; name: string };

/** What a lookup knows of one object: its head, that it does not exist, or nothing (not watched, not synced). */
export type HeadLookup = (kind: ChainKind, name: string) => ObjectHead | 'absent' | 'unknown';

export type UnresolvedWhy =
  | 'not_found'
  | 'no_controller'
  | 'owner_gone'
  /** A controller reference no built-in controller writes (a Deployment controlling pods): not followed. */
  | 'unexpected_controller'
  /** The API refuses to say (no cluster configured, RBAC): asking again will not help. */
  | 'unreadable';

export type ChainWalk =
  /** `chain[0]` is the subject, the last link its top controller. */
  | { status: 'resolved'; chain: ChainLink[] }
  /** Known for sure: the subject or an owner does not exist, or the subject has no controller. */
  | { status: 'unresolved'; why: UnresolvedWhy; chain: ChainLink[]; detail: string }
  /** The lookup cannot tell (a miss): `missing` is what a read by name would settle. */
  | { status: 'unknown'; missing: { kind: ChainKind; name: string }; chain: ChainLink[] };

/**
 * Which of the followed kinds may control each one: what the built-in controllers create. The table has no loop,
 * so neither has a walk: no chain is longer than three links (HPA -> ReplicaSet -> Deployment). Anyone who can create a
 * pod can name any object of its namespace as its controller; a reference outside this table (a Pod "controlled"
 * by a Deployment, a Deployment by a CronJob) was not written by Kubernetes, so it is not followed: an alert on
 * such a pod must not choose what salve acts on. A controller of a kind salve does not follow (an operator's
 * custom resource) may control any of them: it is the top.
 */
export const expectedControllers = {
  Pod: ['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'],
  ReplicaSet: ['Deployment'],
  Job: ['CronJob'],
  HorizontalPodAutoscaler: ['Deployment', 'StatefulSet', 'ReplicaSet'],
  Deployment: [],
  StatefulSet: [],
  DaemonSet: [],
  CronJob: [],
} as const satisfies Record<ChainKind, readonly ChainKind[]>;

/** The API group of each followed kind: a `Deployment` of another group is another kind. */
const groupOf: Record<ChainKind, string> = {
  Pod: '',
  ReplicaSet: 'apps',
  Deployment: 'apps',
  StatefulSet: 'apps',
  DaemonSet: 'apps',
  Job: 'batch',
  CronJob: 'batch',
  HorizontalPodAutoscaler: 'autoscaling',
};

/**
 * The kind a reference names, qualified by its group unless it is the followed kind of that name
 * (`Deployment.evil.example` is not a Deployment, and never matches a policy's `kind: Deployment`).
 */
function kindOfRef(kind: string, apiVersion: string | undefined): string {
  if (apiVersion === undefined) return kind;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (isChainKind(kind) && groupOf[kind] === group) return kind;
  return group === '' ? kind : `${kind}.${group}`;
}

/** The object's controller: the ownerReference with `controller: true`; for an HPA, what it scales. */
export function controllerOf(
  kind: string,
  head: ObjectHead,
): { kind: string; name: string; uid?: string } | undefined {
  if (kind === 'HorizontalPodAutoscaler') {
    const ref = head.spec?.scaleTargetRef;
    return ref === undefined ? undefined : { kind: kindOfRef(ref.kind, ref.apiVersion), name: ref.name };
  }
  const ref = head.metadata.ownerReferences?.find((r) => r.controller === true);
  return ref === undefined
    ? undefined
    : { kind: kindOfRef(ref.kind, ref.apiVersion), name: ref.name, uid: ref.uid };
}

function linkOf(kind: string, head: ObjectHead): ChainLink {
  return {
    kind,
    name: head.metadata.name,
    uid: head.metadata.uid,
    ...(head.metadata.deletionTimestamp === undefined ? {} : { deleting: true as const }),
  };
}

const label = (namespace: string, l: { kind: string; name: string }) => `${l.kind} ${namespace}/${l.name}`;

/** `Pod shop/checkout-6659b96fbc-87jpc -> ReplicaSet shop/checkout-6659b96fbc -> Deployment shop/checkout`. */
export function chainText(namespace: string, chain: readonly ChainLink[]): string {
  return chain.map((l) => `${label(namespace, l)}${l.deleting ? ' (terminating)' : ''}`).join(' -> ');
}

/** Follows the subject's controllers up to the top one. */
export function walkOwnerChain(subject: ChainSubject, lookup: HeadLookup): ChainWalk {
  const { namespace } = subject;
  const first = lookup(subject.kind, subject.name);
  if (first === 'unknown') return { status: 'unknown', missing: subject, chain: [] };
  if (first === 'absent') {
    return {
      status: 'unresolved',
      why: 'not_found',
      chain: [],
      detail: `${label(namespace, subject)} does not exist`,
    };
  }
  const chain = [linkOf(subject.kind, first)];
  let kind: ChainKind = subject.kind;
  let head = first;
  for (;;) {
    const owner = controllerOf(kind, head);
    if (owner === undefined) {
      if (chain.length > 1) return { status: 'resolved', chain };
      const what = kind === 'HorizontalPodAutoscaler' ? 'names no scale target' : 'has no controller';
      return {
        status: 'unresolved',
        why: 'no_controller',
        chain,
        detail: `${label(namespace, subject)} ${what}`,
      };
    }
    // A controller of a kind salve does not follow (an operator's custom resource) is the top: it owns the rest.
    if (!isChainKind(owner.kind)) {
      chain.push({
        kind: owner.kind,
        name: owner.name,
        ...(owner.uid === undefined ? {} : { uid: owner.uid }),
      });
      return { status: 'resolved', chain };
    }
    const expected: readonly string[] = expectedControllers[kind];
    if (!expected.includes(owner.kind)) {
      const from = chain.at(-1) as ChainLink;
      return {
        status: 'unresolved',
        why: 'unexpected_controller',
        chain,
        detail: `${label(namespace, from)} names ${label(namespace, owner)} as its controller, which Kubernetes never does${expected.length === 0 ? '' : ` (a ${kind} is controlled by a ${expected.join(' or ')})`}: not followed`,
      };
    }
    const next = lookup(owner.kind, owner.name);
    if (next === 'unknown')
      return { status: 'unknown', missing: { kind: owner.kind, name: owner.name }, chain };
    // Same name, another uid: the owner was deleted and re-created; this object is an orphan awaiting collection.
    if (next === 'absent' || (owner.uid !== undefined && next.metadata.uid !== owner.uid)) {
      const from = chain.at(-1) as ChainLink;
      return {
        status: 'unresolved',
        why: 'owner_gone',
        chain,
        detail: `${label(namespace, from)} is controlled by ${label(namespace, owner)}, which no longer exists`,
      };
    }
    chain.push(linkOf(owner.kind, next));
    kind = owner.kind;
    head = next;
  }
}
