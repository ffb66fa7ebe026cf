import type { MatchOutcome } from '../../policy/types.js';
import { newId } from '../ids.js';
import type { Attachment, PolicyTarget } from '../port.js';
import { type Program, tx } from '../program.js';
import {
  alertAttachedRecord,
  alertRefOf,
  alertResolvedRecord,
  alertTrigger,
  deliveryReceivedRecord,
  healOpenedRecord,
  newIngestResult,
  refusalRecord,
} from '../records.js';
import type { HealInsertRow } from '../rows.js';
import type { IngestInput, IngestResult } from '../types.js';
import { newHealRow } from './new-heal.js';

type Match = Extract<MatchOutcome, { outcome: 'match' }>;
const pairKey = (p: PolicyTarget) => `${p.policy}\u0000${p.targetKey}`;

/**
 * What a delivery does, on every store. Each alert is inserted by identity: one already there is a duplicate
 * and does nothing else. A new resolved alert resolves its attachments and wakes the heals waiting on it. A
 * new alert a policy matches attaches to the open heal of (policy, target), or opens one; one a policy
 * refuses is recorded as refused. Every decision is audited, in delivery order, last.
 */
export function* ingest(input: IngestInput): Program<IngestResult> {
  const at = input.receivedAt;
  const deliveryId = yield* tx.insertDelivery(input);
  const fresh = yield* tx.insertAlerts(input, deliveryId);
  const result = newIngestResult(deliveryId, input, fresh);
  // Re-deliveries change nothing: no audit noise for a group Alertmanager merely repeated (or an HA peer sent).
  if (fresh.length === 0) return result;
  yield* tx.setNewCount(deliveryId, fresh.length);

  const matches = fresh.flatMap(({ outcomes }) => outcomes.filter((o): o is Match => o.outcome === 'match'));
  const pairs = [
    ...new Map(matches.map((m) => [pairKey(m), { policy: m.policy, targetKey: m.targetKey }])).values(),
  ];
  // Every opener of heals (ingest on any replica, manual heals) holds these first: of two deliveries for one
  // target, the second sees the first one's heal and attaches to it.
  const open = new Map<string, string>();
  if (pairs.length > 0) {
    yield* tx.lockOpeners(pairs);
    for (const row of yield* tx.openHeals(pairs))
      open.set(pairKey({ policy: row.policy, targetKey: row.target_key }), row.id);
  }
  const audit = [deliveryReceivedRecord(input, deliveryId, fresh, result.deduplicated)];
  // New heals and attachments are written together (a statement each, not one per alert), before any
  // resolved alert is looked up and at the end: the database must hold what came before.
  let heals: HealInsertRow[] = [];
  let attachments: Attachment[] = [];
  function* flush(): Program<void> {
    if (heals.length > 0) yield* tx.insertHeals(heals);
    if (attachments.length > 0) yield* tx.attachAlerts(attachments, at);
    heals = [];
    attachments = [];
  }

  for (const { alert, outcomes } of fresh) {
    const ref = alertRefOf(alert);
    if (alert.status === 'resolved') {
      yield* flush();
      // Wake the heals that wait on this alert: verification or a pending approval can conclude now.
      for (const heal of yield* tx.resolveAttachments(alert, at)) {
        result.resolved += 1;
        audit.push(alertResolvedRecord(input, heal, ref, alert.endsAt));
      }
    }
    for (const outcome of outcomes) {
      if (outcome.outcome === 'refused') {
        result.refused += 1;
        audit.push(refusalRecord(input, outcome, ref));
        continue;
      }
      const key = pairKey(outcome);
      const existing = open.get(key);
      const healId = existing ?? newId('heal', new Date(at));
      const heal = { id: healId, policy: outcome.policy, target: outcome.targetKey };
      if (existing === undefined) {
        const opened = { ...outcome, id: healId, dryRun: input.dryRun };
        heals.push(newHealRow({ ...opened, trigger: alertTrigger(input, ref), at }));
        open.set(key, healId);
        result.opened.push(heal);
        audit.push(healOpenedRecord(opened, input.actor, ref));
      } else {
        if (![...result.opened, ...result.attached].some((h) => h.id === healId)) result.attached.push(heal);
        audit.push(alertAttachedRecord(input, healId, outcome, ref));
      }
      attachments.push({ healId, ...ref });
    }
  }
  yield* flush();
  yield* tx.appendAudit(audit, at);
  return result;
}
