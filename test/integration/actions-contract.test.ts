import { describe, expect, it } from 'vitest';
import { builtinActions } from '../../src/actions/registry.js';
import type { AnyAction } from '../../src/actions/types.js';
import { type ContractSetup, runActionContract } from '../support/action-contract.js';
import { contracts as k8sCordon } from '../support/action-contracts/k8s-cordon.js';
import { contracts as k8sRestart } from '../support/action-contracts/k8s-restart.js';
import { contracts as k8sRollback } from '../support/action-contracts/k8s-rollback.js';
import { contracts as k8sScale } from '../support/action-contracts/k8s-scale.js';
import { contracts as mlflowAlias } from '../support/action-contracts/mlflow-alias.js';
import { contracts as retrainAirflow } from '../support/action-contracts/retrain-airflow.js';
import { contracts as retrainArgo } from '../support/action-contracts/retrain-argo.js';
import { contracts as retrainCronjob } from '../support/action-contracts/retrain-cronjob.js';
import { contracts as retrainKubeflow } from '../support/action-contracts/retrain-kubeflow.js';
import { contracts as retrainPrefect } from '../support/action-contracts/retrain-prefect.js';
import { contracts as webhook } from '../support/action-contracts/webhook.js';

// The contract every action keeps with the engine, run on every action of the registry. A new action brings
// test/support/action-contracts/<its folder>.ts (its peer, started fresh per case) and one line here.

// biome-ignore lint/suspicious/noExplicitAny: the cases hold actions of every parameter type.
const cases: ReadonlyArray<ContractSetup<any>> = [
  ...k8sRollback,
  ...k8sRestart,
  ...k8sScale,
  ...k8sCordon,
  ...retrainCronjob,
  ...retrainAirflow,
  ...mlflowAlias,
  ...retrainArgo,
  ...retrainKubeflow,
  ...retrainPrefect,
  ...webhook,
];

const folderOf = (action: AnyAction) => action.kind.replace(/\./g, '-');

describe('the action contract', () => {
  it('runs on every action of the registry', () => {
    const covered = new Set(cases.map((c) => c.action));
    const missing = builtinActions
      .filter((action) => !covered.has(action))
      .map((a) => `${a.kind}: add test/support/action-contracts/${folderOf(a)}.ts and its line in this file`);
    expect(missing).toEqual([]);
  });
});

for (const setup of cases) runActionContract(setup);
