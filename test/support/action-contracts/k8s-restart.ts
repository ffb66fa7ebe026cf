import { k8sRestart } from '../../../src/actions/k8s-restart/action.js';
import type { RestartParams } from '../../../src/actions/k8s-restart/params.js';
import type { ContractSetup } from '../action-contract.js';
import { scorer, workloadHarness } from './kube.js';

export const contracts: ReadonlyArray<ContractSetup<RestartParams>> = [
  {
    name: 'k8s.restart',
    action: k8sRestart,
    params: {},
    target: scorer,
    start: () => workloadHarness(scorer, /\/deployments\//),
  },
];
