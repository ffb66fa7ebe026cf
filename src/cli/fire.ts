import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stampPayload } from '../alerts/stamp.js';
import { SalveError } from '../errors.js';
import { alertStartWindowMs } from '../http/api-types.js';
import { callSalve, refusedLine } from './client.js';

/** The captured example payloads shipped with salve (deploy/alertmanager/examples), from src/ or dist/src/. */
function examplesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++) {
    const candidate = path.join(dir, 'deploy', 'alertmanager', 'examples');
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return path.join(process.cwd(), 'deploy', 'alertmanager', 'examples');
}

export function exampleNames(): string[] {
  const dir = examplesDir();
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** A file path, or the name of a shipped example (`model-error-rate-firing`). */
function resolvePayload(arg: string): string {
  if (fs.existsSync(arg)) return arg;
  const named = path.join(examplesDir(), `${arg.replace(/\.json$/, '')}.json`);
  if (fs.existsSync(named)) return named;
  throw new SalveError(
    'SALVE_REQUEST_INVALID',
    `${arg}: no such file, and no example of that name (examples: ${exampleNames().join(', ') || 'none'})`,
  );
}

/**
 * When the firing alerts these resolve began, as salve received them: a resolution carries its alert's start.
 * The latest start of the last week (the widest window salve reads at once; an incident fired by hand and
 * resolved by hand is younger).
 */
async function firingStarts(server: string, token: string | undefined, fingerprints: string[], now: Date) {
  const starts = new Map<string, string>();
  const startedSince = new Date(now.getTime() - alertStartWindowMs).toISOString();
  for (const fingerprint of new Set(fingerprints)) {
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ fingerprint, startedSince, status: 'firing', limit: '1000' });
      if (cursor) query.set('cursor', cursor);
      const reply = await callSalve(server, token, { method: 'GET', path: `/v1/alerts?${query}` });
      if (reply.status !== 200) throw new SalveError('SALVE_REQUEST_INVALID', refusedLine(reply));
      for (const alert of (reply.body.alerts ?? []) as Array<{ startsAt: string }>) {
        const known = starts.get(fingerprint);
        if (known === undefined || alert.startsAt > known) starts.set(fingerprint, alert.startsAt);
      }
      cursor = (reply.body.nextCursor as string | null) ?? null;
    } while (cursor !== null);
  }
  return starts;
}

export type FireCommand = { payload: string | undefined; server: string; token: string | undefined };

/**
 * `salve fire FILE|EXAMPLE`: posts an Alertmanager payload to a running salve as Alertmanager would send it
 * now. Firing alerts start now (a new incident, not a re-send that salve deduplicates); resolved alerts keep
 * the start of the firing alert salve received, so they close its heal.
 */
export async function fire(cmd: FireCommand, out: NodeJS.WritableStream, now = new Date()): Promise<number> {
  if (!cmd.payload) {
    throw new SalveError(
      'SALVE_REQUEST_INVALID',
      `usage: salve fire FILE|EXAMPLE [--server URL] (token in SALVE_TOKEN); examples: ${exampleNames().join(', ')}`,
    );
  }
  const file = resolvePayload(cmd.payload);
  let raw: { alerts?: Array<{ status?: string; fingerprint?: string }> };
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new SalveError('SALVE_REQUEST_BAD_JSON', `${file}: cannot read a JSON payload`, { cause });
  }
  const resolved = (raw.alerts ?? [])
    .filter((a) => a.status === 'resolved')
    .map((a) => String(a.fingerprint));
  const starts = resolved.length > 0 ? await firingStarts(cmd.server, cmd.token, resolved, now) : new Map();
  const payload = stampPayload(raw, now, (fingerprint) => starts.get(fingerprint));
  const reply = await callSalve(cmd.server, cmd.token, {
    method: 'POST',
    path: '/v1/alertmanager',
    body: payload,
  });
  if (reply.status !== 202) {
    out.write(`${refusedLine(reply)}\n`);
    return 1;
  }
  const { alerts, heals } = reply.body as {
    alerts: { received: number; new: number; deduplicated: number };
    heals: { opened: Array<{ id: string; policy: string; target: string }>; attached: unknown[] };
  };
  out.write(
    `sent ${path.basename(file)} (${payload.status}, stamped ${now.toISOString()}): ${alerts.received} alert(s), ${alerts.new} new, ${alerts.deduplicated} deduplicated\n`,
  );
  for (const heal of heals.opened) out.write(`opened heal ${heal.id}: ${heal.policy} on ${heal.target}\n`);
  if (heals.attached.length > 0) out.write(`attached to ${heals.attached.length} open heal(s)\n`);
  return 0;
}
