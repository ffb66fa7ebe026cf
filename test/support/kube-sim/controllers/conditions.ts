import { rfc3339 } from '../util.js';

export type Condition = {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
};

export function getCondition(conds: Condition[], type: string): Condition | undefined {
  return conds.find((c) => c.type === type);
}

/**
 * deploymentutil.SetDeploymentCondition: same status and reason is a no-op; same status keeps
 * lastTransitionTime; the condition moves to the end of the list.
 */
export function setCondition(
  conds: Condition[],
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
  now: number,
): Condition[] {
  const cur = getCondition(conds, type);
  if (cur !== undefined && cur.status === status && cur.reason === reason) return conds;
  const at = rfc3339(now);
  const next: Condition = {
    type,
    status,
    lastUpdateTime: at,
    lastTransitionTime: cur !== undefined && cur.status === status ? cur.lastTransitionTime : at,
    reason,
    message,
  };
  return [...conds.filter((c) => c.type !== type), next];
}

/** The Progressing special case: progress always refreshes lastUpdateTime, even with the same reason. */
export function markProgress(conds: Condition[], message: string, now: number): Condition[] {
  const cur = getCondition(conds, 'Progressing');
  const at = rfc3339(now);
  const next: Condition = {
    type: 'Progressing',
    status: 'True',
    lastUpdateTime: at,
    lastTransitionTime: cur?.status === 'True' ? cur.lastTransitionTime : at,
    reason: 'ReplicaSetUpdated',
    message,
  };
  return [...conds.filter((c) => c.type !== 'Progressing'), next];
}
