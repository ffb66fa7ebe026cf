import { retrainCronjob } from '../../../src/actions/retrain-cronjob/action.js';
import type { RetrainCronjobParams } from '../../../src/actions/retrain-cronjob/params.js';
import type { ActionContext } from '../../../src/actions/types.js';
import type { ContractSetup } from '../action-contract.js';
import { startKubeActionHarness } from '../kube-action-harness.js';
import { ns, scorer } from './kube.js';

export const contracts: ReadonlyArray<ContractSetup<RetrainCronjobParams>> = [
  {
    name: 'retrain.cronjob',
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
  },
];
