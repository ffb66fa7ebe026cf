import type { AuditInput } from '../../domain/audit.js';
import { type Program, tx } from '../program.js';
import { alertRefOf, droppedRecord, newIngestResult, settlementInput } from '../records.js';
import type { DeferredSettlement, IngestResult } from '../types.js';
import { createPlacement, lockOpenHeals, pairsOf } from './placement.js';

/**
 * Ends a deferred match, once across replicas: the row is taken (removed) in the transaction that writes its
 * outcome, as ingest would have written it when the alert arrived — the heal opened or joined, the refusal —
 * or the drop. Null when another settlement took it first.
 */
export function* settleDeferred(settlement: DeferredSettlement): Program<IngestResult | null> {
  const match = yield* tx.takeDeferredMatch(settlement.id);
  if (match === null) return null;
  const input = settlementInput(match, settlement.at);
  const result = newIngestResult(match.deliveryId, input, []);
  const ref = alertRefOf(match.alert);
  const audit: AuditInput[] = [];
  const { outcome } = settlement;
  if (outcome.outcome === 'dropped') {
    audit.push(droppedRecord(input, outcome, ref));
  } else {
    const open = yield* lockOpenHeals(pairsOf([outcome]));
    const placement = createPlacement(input, match.deliveryId, open, result, audit);
    placement.place(match.alert, ref, outcome);
    yield* placement.flush();
  }
  yield* tx.appendAudit(audit, settlement.at);
  return result;
}
