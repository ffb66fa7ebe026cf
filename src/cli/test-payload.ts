import fs from 'node:fs';
import { createActionRegistry } from '../actions/registry.js';
import { webhookPayloadSchema } from '../alerts/schema.js';
import { SalveError } from '../errors.js';
import { parseOrThrow } from '../http/validate.js';
import { createOwnerCache } from '../kube/owner-cache.js';
import { readOnlyKube } from '../kube/read-only.js';
import { loadPolicyDir } from '../policy/loader.js';
import { formatProblem } from '../policy/problems.js';
import { explainPayload, type PreviewDeps } from '../service/explain.js';

function boundText(bound: string): string {
  if (bound === 'literal') return 'written in the policy';
  if (bound === 'namespace') return 'within its allowed namespace';
  if (bound === 'owner') return 'the controller of the object the alert names';
  return `in ${bound}`;
}

/** `salve test --policies DIR PAYLOAD.json`: what would happen, without a server or a store. */
export async function testPayload(
  file: string | undefined,
  options: { policies: string; json: boolean; dryRun: boolean; preview?: PreviewDeps },
  out: NodeJS.WritableStream,
): Promise<number> {
  if (!file) throw new SalveError('SALVE_REQUEST_INVALID', 'usage: salve test --policies DIR PAYLOAD.json');
  let body: unknown;
  try {
    body = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new SalveError('SALVE_REQUEST_BAD_JSON', `${file}: cannot read a JSON payload`, { cause });
  }
  const payload = parseOrThrow(webhookPayloadSchema, body, 'SALVE_WEBHOOK_INVALID', `${file} `);
  const registry = createActionRegistry();
  const { table, problems } = await loadPolicyDir(options.policies, registry);
  if (!table) {
    for (const p of problems) out.write(`error: ${formatProblem(p)}\n`);
    return 1;
  }
  const kube = options.preview?.kube;
  // No informers here: each ownerOf subject is read by name, through a client that cannot write.
  const owners = kube?.configured
    ? createOwnerCache({ kube: readOnlyKube(kube), now: Date.now, settings: { lookupTimeoutMs: 5_000 } })
    : undefined;
  const explanation = await explainPayload(payload, {
    table,
    registry,
    dryRun: options.dryRun,
    ...(options.preview ? { preview: options.preview } : {}),
    ...(owners === undefined ? {} : { owners }),
  });
  if (options.json) {
    out.write(`${JSON.stringify(explanation, null, 2)}\n`);
    return 0;
  }
  for (const alert of explanation.alerts) {
    out.write(
      `alert ${alert.alertname} (${alert.fingerprint}, ${alert.status}): ${alert.matched} policy match(es)\n`,
    );
    for (const o of alert.outcomes) {
      if (o.outcome === 'refused') {
        out.write(`  policy ${o.policy}: refused (${o.reason}) ${o.detail}\n`);
        continue;
      }
      if (o.outcome === 'deferred') {
        const { kind, namespace, name } = o.subject;
        out.write(
          `  policy ${o.policy}: would act on the controller of ${kind} ${namespace}/${name}; cannot tell which: ${o.detail}\n`,
        );
        continue;
      }
      const flags = [o.dryRun ? 'dry-run' : '', o.approval ? 'needs approval' : '']
        .filter(Boolean)
        .join(', ');
      out.write(`  policy ${o.policy}: ${o.decision} a heal on ${o.target}${flags ? ` (${flags})` : ''}\n`);
      if (o.resolution) out.write(`    resolved: ${o.resolution.text}\n`);
      out.write(
        `    remit: ${o.remit.map((b) => `${b.field}=${b.value} (${boundText(b.bound)})`).join(', ')}\n`,
      );
      if (o.guards.autonomy) out.write(`    autonomy: ${o.guards.autonomy}\n`);
      o.steps.forEach((s, i) => {
        out.write(`    step ${i + 1}: ${s.wouldDo}\n`);
        if (s.preview) out.write(`            now: ${s.preview}\n`);
        if (s.previewError) out.write(`            now: could not tell (${s.previewError})\n`);
      });
    }
  }
  if (!options.preview?.kube.configured) {
    out.write(
      'note: no Kubernetes cluster is configured (SALVE_KUBECONFIG), so steps are described from the policy alone\n',
    );
  }
  return 0;
}
