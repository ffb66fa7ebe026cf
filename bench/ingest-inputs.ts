import path from 'node:path';
import { createActionRegistry } from '../src/actions/registry.js';
import type { ReceivedAlert, WebhookPayload } from '../src/alerts/schema.js';
import { evaluateAlert } from '../src/policy/evaluate.js';
import { loadPolicyDir } from '../src/policy/loader.js';
import type { IngestInput } from '../src/store/types.js';
import { repoRoot } from './workspace.js';

/**
 * What the store's ingest is given for a delivery, as the webhook builds it: its alerts matched against the
 * example policies in policies/. For benches that time the store without HTTP.
 */
export async function examplePolicyMatcher() {
  const registry = createActionRegistry();
  const loaded = await loadPolicyDir(path.join(repoRoot, 'policies'), registry);
  if (loaded.table === null) throw new Error('the example policies in policies/ do not load');
  const table = loaded.table;
  const evaluate = (alert: ReceivedAlert) => evaluateAlert(table, alert, registry);
  return {
    evaluate,
    /** The store input for one parsed delivery whose alerts are already normalised. */
    inputOf(p: WebhookPayload, alerts: readonly ReceivedAlert[]): IngestInput {
      return {
        receivedAt: new Date().toISOString(),
        actor: `alertmanager:${p.receiver}`,
        delivery: {
          receiver: p.receiver,
          groupKey: p.groupKey,
          externalURL: p.externalURL,
          status: p.status,
          truncatedAlerts: p.truncatedAlerts,
        },
        alerts: alerts.map((alert) => ({ alert, outcomes: evaluate(alert) })),
        dryRun: false,
      };
    },
  };
}
