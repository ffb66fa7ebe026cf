import { SalveError } from '../errors.js';
import { callSalve, refusedLine } from './client.js';

export type HealCommand = {
  server: string;
  token: string | undefined;
  policy: string | undefined;
  labels: string[];
  reason: string | undefined;
  dryRun: boolean;
  force: boolean;
  idempotencyKey: string | undefined;
};

/** `salve heal`: POST /v1/heals on a running salve, as an operator would with curl. */
export async function manualHeal(cmd: HealCommand, out: NodeJS.WritableStream): Promise<number> {
  if (!cmd.policy || !cmd.reason) {
    throw new SalveError(
      'SALVE_REQUEST_INVALID',
      'usage: salve heal --policy NAME --label key=value ... --reason "why" [--dry-run] [--force] [--idempotency-key K] [--server URL]',
    );
  }
  const labels: Record<string, string> = {};
  for (const pair of cmd.labels) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new SalveError('SALVE_REQUEST_INVALID', `--label ${pair}: expected key=value`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const reply = await callSalve(cmd.server, cmd.token, {
    method: 'POST',
    path: '/v1/heals',
    body: { policy: cmd.policy, labels, reason: cmd.reason, dryRun: cmd.dryRun, force: cmd.force },
    ...(cmd.idempotencyKey ? { headers: { 'idempotency-key': cmd.idempotencyKey } } : {}),
  });
  const body = reply.body as { heal?: { id: string; state: string; targetKey: string }; created?: boolean };
  if (reply.status >= 300 || !body.heal) {
    out.write(`${refusedLine(reply)}\n`);
    return 1;
  }
  const verb = body.created ? 'opened' : 'already open';
  out.write(`heal ${body.heal.id} ${verb}: ${body.heal.targetKey} (${body.heal.state})\n`);
  return 0;
}
