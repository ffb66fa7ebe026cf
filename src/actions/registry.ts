import { k8sCordon } from './k8s-cordon/action.js';
import { k8sRestart } from './k8s-restart/action.js';
import { k8sRollback } from './k8s-rollback/action.js';
import { k8sScale } from './k8s-scale/action.js';
import { mlflowAlias } from './mlflow-alias/action.js';
import { retrainAirflow } from './retrain-airflow/action.js';
import { retrainArgo } from './retrain-argo/action.js';
import { retrainCronjob } from './retrain-cronjob/action.js';
import { retrainKubeflow } from './retrain-kubeflow/action.js';
import { retrainPrefect } from './retrain-prefect/action.js';
import type { AnyAction } from './types.js';
import { webhook } from './webhook/action.js';

/** The one list of actions. A policy can only name what is here; adding an action is one line. */
export const builtinActions: readonly AnyAction[] = [
  k8sRollback,
  k8sRestart,
  k8sScale,
  k8sCordon,
  retrainCronjob,
  retrainAirflow,
  mlflowAlias,
  retrainArgo,
  retrainKubeflow,
  retrainPrefect,
  webhook,
];

export type ActionRegistry = ReadonlyMap<string, AnyAction>;

export function createActionRegistry(actions: readonly AnyAction[] = builtinActions): ActionRegistry {
  const registry = new Map<string, AnyAction>();
  for (const action of actions) {
    if (registry.has(action.kind)) throw new Error(`action kind ${action.kind} registered twice`);
    registry.set(action.kind, action);
  }
  return registry;
}
