import { k8sCordon } from '../../../src/actions/k8s-cordon/action.js';
import type { CordonParams } from '../../../src/actions/k8s-cordon/params.js';
import type { TargetRef } from '../../../src/actions/types.js';
import type { ContractSetup } from '../action-contract.js';
import { startKubeActionHarness } from '../kube-action-harness.js';

// A cluster-scoped target: Node worker-2 of the simulator, schedulable at the start.
const worker: TargetRef = { kind: 'Node', name: 'worker-2' };

export const contracts: ReadonlyArray<ContractSetup<CordonParams>> = [
  {
    name: 'k8s.cordon',
    action: k8sCordon,
    params: {},
    target: worker,
    start: async () => {
      const h = await startKubeActionHarness();
      const node = () => h.sim.objects.get('v1', 'Node', '', worker.name);
      return {
        context: (heal) => h.context(worker, heal),
        inspect: async () => ({ spec: node()?.spec, annotations: node()?.metadata.annotations }),
        requestCount: () => h.sim.requests.length,
        injectFailure: () => h.sim.faults.failNext({ path: /\/api\/v1\/nodes\// }, 503, 10),
        close: h.close,
      };
    },
  },
];
