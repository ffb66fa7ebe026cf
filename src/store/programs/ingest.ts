import { type Program, tx } from '../program.js';
import { alertRefOf, alertResolvedRecord, deliveryReceivedRecord, newIngestResult } from '../records.js';
import type { IngestInput, IngestResult } from '../types.js';
import { createPlacement, lockOpenHeals, pairsOf } from './placement.js';

/**
 * What a delivery does, on every store. Each alert is inserted by identity: one already there is a duplicate
 * and does nothing else. A new resolved alert resolves its attachments and wakes the heals waiting on it. A
 * new alert a policy matches attaches to the open heal of (policy, target), or opens one; one a policy
 * refuses is recorded as refused; one whose ownerOf target could not be resolved yet is kept for later.
 * Every decision is audited, in delivery order, last: the alerts a delivery attaches to one heal in one record.
 */
export function* ingest(input: IngestInput): Program<IngestResult> {
  const at = input.receivedAt;
  const { deliveryId, fresh } = yield* tx.insertDelivery(input);
  const result = newIngestResult(deliveryId, input, fresh);
  // Re-deliveries change nothing: no audit noise for a group Alertmanager merely repeated (or an HA peer sent).
  if (fresh.length === 0) return result;

  const open = yield* lockOpenHeals(pairsOf(fresh.flatMap(({ outcomes }) => outcomes)));
  const audit = [deliveryReceivedRecord(input, deliveryId, fresh, result.deduplicated)];
  const placement = createPlacement(input, deliveryId, open, result, audit);
  for (const { alert, outcomes } of fresh) {
    const ref = alertRefOf(alert);
    if (alert.status === 'resolved') {
      // The database must hold what came before.
      yield* placement.flush();
      // Wake the heals that wait on this alert: verification or a pending approval can conclude now.
      for (const heal of yield* tx.resolveAttachments(alert, at)) {
        result.resolved += 1;
        audit.push(alertResolvedRecord(input, heal, ref, alert.endsAt));
      }
    }
    for (const outcome of outcomes) placement.place(alert, ref, outcome);
  }
  yield* placement.flush();
  yield* tx.appendAudit(audit, at);
  return result;
}
