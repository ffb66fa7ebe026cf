import { createHash } from 'node:crypto';
import type { ActionContext } from '../types.js';

/**
 * The id of what a heal step creates on a peer (a DAG run, a workflow, a run): `salve-<healId>-<step>`.
 * The same step always derives the same id, so a retry meets "already exists" instead of starting twice.
 */
export function healRunId(ctx: ActionContext): string {
  return `salve-${ctx.heal.id}-${ctx.heal.markStep}`;
}

const MAX_DNS_LABEL = 63;

/** The same id as a DNS-1123 label (Argo workflow names end up in pod names and labels). */
export function healDnsName(ctx: ActionContext): string {
  const name = healRunId(ctx)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-');
  if (name.length <= MAX_DNS_LABEL) return name;
  const hash = createHash('sha256').update(`${ctx.heal.id}/${ctx.heal.markStep}`).digest('hex').slice(0, 16);
  return `salve-${hash}-${ctx.heal.markStep}`;
}
