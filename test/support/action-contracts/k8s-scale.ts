import { k8sScale } from '../../../src/actions/k8s-scale/action.js';
import type { ScaleParams } from '../../../src/actions/k8s-scale/params.js';
import type { ContractSetup } from '../action-contract.js';
import { scorer, workloadHarness } from './kube.js';

export const contracts: ReadonlyArray<ContractSetup<ScaleParams>> = [
  {
    name: 'k8s.scale by a relative step',
    action: k8sScale,
    params: { by: 2, max: 10 },
    target: scorer,
    start: () => workloadHarness(scorer, /\/deployments\//),
  },
  {
    name: 'k8s.scale to an absolute count',
    action: k8sScale,
    params: { replicas: 5 },
    target: scorer,
    start: () => workloadHarness(scorer, /\/deployments\//),
  },
];
