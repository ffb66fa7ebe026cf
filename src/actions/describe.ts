import { z } from 'zod';
import type { AnyAction, RbacRule } from './types.js';

export type ActionDescription = {
  kind: string;
  summary: string;
  targetKinds: string[];
  /** The `with:` block as JSON Schema, generated from the action's own zod schema. */
  parameters: Record<string, unknown>;
  example: Record<string, unknown>;
  rbac: RbacRule[];
};

/** What `GET /v1/actions` and `salve actions` show for one action. */
export function describeAction(action: AnyAction): ActionDescription {
  return {
    kind: action.kind,
    summary: action.summary,
    targetKinds: [...action.targetKinds],
    parameters: z.toJSONSchema(action.params, { unrepresentable: 'any' }) as Record<string, unknown>,
    example: action.example,
    rbac: action.rbac.map((rule) => ({
      apiGroups: [...rule.apiGroups],
      resources: [...rule.resources],
      verbs: [...rule.verbs],
    })),
  };
}
