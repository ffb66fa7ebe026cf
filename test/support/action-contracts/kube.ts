import type { ActionContext, TargetRef } from '../../../src/actions/types.js';
import type { ContractHarness } from '../action-contract.js';
import { startKubeActionHarness, templateAndAnnotations } from '../kube-action-harness.js';

// The simulated cluster the Kubernetes actions' contract cases run against.

export const ns = 'ml-prod';
export const scorer: TargetRef = { kind: 'Deployment', namespace: ns, name: 'scorer' };
export const featureStore: TargetRef = { kind: 'StatefulSet', namespace: ns, name: 'feature-store' };

/** A Deployment and a StatefulSet with two releases each; `failPath` is where injected 503s land. */
export async function workloadHarness(target: TargetRef, failPath: RegExp): Promise<ContractHarness> {
  const h = await startKubeActionHarness();
  h.sim.seed.deployment({
    namespace: ns,
    name: 'scorer',
    replicas: 2,
    revisions: [{ image: 'scorer:1' }, { image: 'scorer:2' }],
  });
  h.sim.seed.statefulSet({
    namespace: ns,
    name: 'feature-store',
    replicas: 2,
    revisions: [{ image: 'fs:1' }, { image: 'fs:2' }],
  });
  return {
    context: (heal?: Partial<ActionContext['heal']>) => h.context(target, heal),
    inspect: async () => templateAndAnnotations(h.workload(target.kind, ns, target.name)),
    requestCount: () => h.sim.requests.length,
    injectFailure: () => h.sim.faults.failNext({ path: failPath }, 503, 10),
    close: h.close,
  };
}
