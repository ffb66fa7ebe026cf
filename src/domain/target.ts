// The target model, in one file: what a heal acts on, and the key that names it.

/**
 * What an action acts on, resolved from the policy's templates and validated (DNS-1123, `allow`). Every target
 * today lives in a namespace; a cluster-scoped one (a Node) would be the same object without `namespace`, and
 * every function below is where that difference would be handled.
 */
export type TargetRef = {
  kind: string;
  namespace: string;
  name: string;
};

/** `Kind/namespace/name`: with the policy, the identity of a heal (one open heal per policy and target key). */
export function targetKeyOf(target: TargetRef): string {
  return `${target.kind}/${target.namespace}/${target.name}`;
}

/** What a target key looks like (an operator resetting a target's breaker writes one). */
export const targetKeyPattern = /^[A-Za-z]+\/[a-z0-9.-]+\/[a-z0-9.-]+$/;
export const targetKeyShape = 'Kind/namespace/name';
