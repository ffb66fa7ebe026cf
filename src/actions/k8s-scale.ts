import { z } from 'zod';
import { ActionFailed } from '../errors.js';
import type { Action, TargetRef } from './types.js';

export const scaleParams = z.union([
  z.object({ replicas: z.number().int().min(0) }).strict(),
  z
    .object({
      by: z.number().int(),
      min: z.number().int().min(0).optional(),
      max: z.number().int().min(0).optional(),
    })
    .strict(),
]);
export type ScaleParams = z.infer<typeof scaleParams>;

export const k8sScale: Action<ScaleParams> = {
  kind: 'k8s.scale',
  summary: 'Scale a Deployment or StatefulSet to N replicas, or by +/-N within bounds',
  params: scaleParams,
  targetKinds: ['Deployment', 'StatefulSet'],
  example: { by: 2, max: 10 },
  rbac: [],
  describe(target: TargetRef, params: ScaleParams): string {
    const how = 'replicas' in params ? `to ${params.replicas} replicas` : `by ${params.by}`;
    return `would scale ${target.kind} ${target.namespace}/${target.name} ${how}`;
  },
  async run() {
    throw new ActionFailed('SALVE_ACTION_FAILED', 'k8s.scale is not implemented yet');
  },
};
