import { k8sRollback } from '../../../src/actions/k8s-rollback/action.js';
import type { RollbackParams } from '../../../src/actions/k8s-rollback/params.js';
import type { ContractSetup } from '../action-contract.js';
import { featureStore, scorer, workloadHarness } from './kube.js';

export const contracts: ReadonlyArray<ContractSetup<RollbackParams>> = [
  {
    name: 'k8s.rollback on a Deployment',
    action: k8sRollback,
    params: {},
    target: scorer,
    start: () => workloadHarness(scorer, /\/deployments\//),
  },
  {
    name: 'k8s.rollback on a StatefulSet',
    action: k8sRollback,
    params: {},
    target: featureStore,
    start: () => workloadHarness(featureStore, /\/statefulsets\//),
  },
];
