import { k8sRestart } from '../../src/actions/k8s-restart/action.js';
import { k8sRollback } from '../../src/actions/k8s-rollback/action.js';
import { k8sScale } from '../../src/actions/k8s-scale/action.js';
import { retrainCronjob } from '../../src/actions/retrain-cronjob/action.js';
import type { ActionContext, TargetRef } from '../../src/actions/types.js';
import { type ContractHarness, runActionContract } from '../support/action-contract.js';
import { startKubeActionHarness, templateAndAnnotations } from '../support/kube-action-harness.js';

const ns = 'ml-prod';
const scorer: TargetRef = { kind: 'Deployment', namespace: ns, name: 'scorer' };

async function workloadHarness(target: TargetRef, failPath: RegExp): Promise<ContractHarness> {
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

runActionContract('k8s.rollback on a Deployment', {
  action: k8sRollback,
  params: {},
  target: scorer,
  start: () => workloadHarness(scorer, /\/deployments\//),
});

runActionContract('k8s.rollback on a StatefulSet', {
  action: k8sRollback,
  params: {},
  target: { kind: 'StatefulSet', namespace: ns, name: 'feature-store' },
  start: () =>
    workloadHarness({ kind: 'StatefulSet', namespace: ns, name: 'feature-store' }, /\/statefulsets\//),
});

runActionContract('k8s.restart', {
  action: k8sRestart,
  params: {},
  target: scorer,
  start: () => workloadHarness(scorer, /\/deployments\//),
});

runActionContract('k8s.scale by a relative step', {
  action: k8sScale,
  params: { by: 2, max: 10 },
  target: scorer,
  start: () => workloadHarness(scorer, /\/deployments\//),
});

runActionContract('k8s.scale to an absolute count', {
  action: k8sScale,
  params: { replicas: 5 },
  target: scorer,
  start: () => workloadHarness(scorer, /\/deployments\//),
});

runActionContract('retrain.cronjob', {
  action: retrainCronjob,
  params: { cronJob: 'retrain-scorer' },
  target: scorer,
  start: async () => {
    const h = await startKubeActionHarness();
    h.sim.seed.cronJob({ namespace: ns, name: 'retrain-scorer', image: 'trainer:1' });
    return {
      context: (heal?: Partial<ActionContext['heal']>) => h.context(scorer, heal),
      inspect: async () => h.sim.objects.list('batch/v1', 'Job', ns).map((job) => job.metadata.name),
      requestCount: () => h.sim.requests.length,
      injectFailure: () => h.sim.faults.failNext({ path: /\/cronjobs\/|\/jobs/ }, 403, 10),
      close: h.close,
    };
  },
});
