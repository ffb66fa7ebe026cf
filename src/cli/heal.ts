import { SalveError } from '../errors.js';

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
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (cmd.token) headers.authorization = `Bearer ${cmd.token}`;
  if (cmd.idempotencyKey) headers['idempotency-key'] = cmd.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(new URL('/v1/heals', cmd.server), {
      method: 'POST',
      headers,
      body: JSON.stringify({
        policy: cmd.policy,
        labels,
        reason: cmd.reason,
        dryRun: cmd.dryRun,
        force: cmd.force,
      }),
    });
  } catch (cause) {
    throw new SalveError('SALVE_REQUEST_INVALID', `cannot reach salve at ${cmd.server}`, { cause });
  }
  const body = (await res.json().catch(() => ({}))) as {
    heal?: { id: string; state: string; targetKey: string };
    created?: boolean;
    error?: { code: string; message: string };
  };
  if (!res.ok || !body.heal) {
    out.write(`refused (${res.status}): ${body.error?.code ?? 'unknown'}: ${body.error?.message ?? ''}\n`);
    return 1;
  }
  const verb = body.created ? 'opened' : 'already open';
  out.write(`heal ${body.heal.id} ${verb}: ${body.heal.targetKey} (${body.heal.state})\n`);
  return 0;
}
