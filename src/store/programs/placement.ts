import type { AuditInput } from '../../domain/audit.js';
import type { MatchOutcome } from '../../policy/types.js';
import { newId } from '../ids.js';
import type { Attachment, DeferredInsert, PolicyTarget } from '../port.js';
import { type Program, tx } from '../program.js';
import {
  type AlertRef,
  type AttachedAlert,
  alertsAttachedRecord,
  alertTrigger,
  deferredRecord,
  healOpenedRecord,
  refusalRecord,
} from '../records.js';
import type { HealInsertRow } from '../rows.js';
import type { IngestInput, IngestResult } from '../types.js';
import { newHealRow } from './new-heal.js';

type Match = Extract<MatchOutcome, { outcome: 'match' }>;
export const pairKey = (p: PolicyTarget) => `${p.policy}\u0000${p.targetKey}`;

/** The (policy, target) pairs these outcomes open or join, once each. */
export function pairsOf(outcomes: readonly MatchOutcome[]): PolicyTarget[] {
  const matches = outcomes.filter((o): o is Match => o.outcome === 'match');
  return [
    ...new Map(matches.map((m) => [pairKey(m), { policy: m.policy, targetKey: m.targetKey }])).values(),
  ];
}

/**
 * Locks the pairs for opening (every opener of heals holds these first: of two deliveries for one target, the
 * second sees the first one's heal and attaches to it) and answers their open heals, by pair.
 */
export function* lockOpenHeals(pairs: readonly PolicyTarget[]): Program<Map<string, string>> {
  const open = new Map<string, string>();
  if (pairs.length === 0) return open;
  yield* tx.lockOpeners(pairs);
  for (const row of yield* tx.openHeals(pairs))
    open.set(pairKey({ policy: row.policy, targetKey: row.target_key }), row.id);
  return open;
}

/**
 * Where the outcomes of new alerts go, the same for a delivery and for a deferred match settled later: a
 * refusal is recorded; a deferral is kept; a match attaches to the open heal of (policy, target) or opens one
 * (with the trace context the delivery started for it). The alerts attached to one heal are one record. Rows
 * are written together (a statement each, not one per alert) by `flush`.
 */
export function createPlacement(
  input: IngestInput,
  deliveryId: number,
  open: Map<string, string>,
  result: IngestResult,
  audit: AuditInput[],
) {
  const at = input.receivedAt;
  const traces = new Map((input.traces ?? []).map((t) => [pairKey(t), t.traceContext]));
  const attachedTo = new Map<string, AttachedAlert[]>();
  // The heals already in the result (opened or attached), so each is listed once: a look-up per alert, where
  // copying both lists per alert cost a delivery of n alerts to one heal n copies.
  const listed = new Set([...result.opened, ...result.attached].map((h) => h.id));
  let heals: HealInsertRow[] = [];
  let attachments: Attachment[] = [];
  let deferrals: DeferredInsert[] = [];
  return {
    place(alert: { status: 'firing' | 'resolved' }, ref: AlertRef, outcome: MatchOutcome): void {
      if (outcome.outcome === 'refused') {
        result.refused += 1;
        audit.push(refusalRecord(input, outcome, ref));
        return;
      }
      if (outcome.outcome === 'deferred') {
        result.deferred += 1;
        deferrals.push({
          id: newId('defer', new Date(at)),
          fingerprint: ref.fingerprint,
          startsAt: ref.startsAt,
          status: alert.status,
          policy: outcome.policy,
          subject: outcome.subject,
          detail: outcome.detail,
        });
        audit.push(deferredRecord(input, outcome, ref));
        return;
      }
      const key = pairKey(outcome);
      const existing = open.get(key);
      const healId = existing ?? newId('heal', new Date(at));
      const heal = { id: healId, policy: outcome.policy, target: outcome.targetKey };
      if (existing === undefined) {
        const opened = { ...outcome, id: healId, dryRun: input.dryRun };
        const traceContext = traces.get(key) ?? null;
        heals.push(newHealRow({ ...opened, trigger: alertTrigger(input, ref), at, traceContext }));
        open.set(key, healId);
        result.opened.push(heal);
        listed.add(healId);
        audit.push(healOpenedRecord(opened, input.actor, ref));
      } else {
        if (!listed.has(healId)) {
          listed.add(healId);
          result.attached.push(heal);
        }
        // One record per (delivery, heal) lists every alert the delivery attached to it: the same facts as a
        // record per alert, one seal instead of ten.
        let refs = attachedTo.get(healId);
        if (refs === undefined) {
          refs = [];
          attachedTo.set(healId, refs);
          audit.push(alertsAttachedRecord(input, deliveryId, heal, refs));
        }
        refs.push(outcome.resolution === undefined ? ref : { ...ref, resolution: outcome.resolution });
      }
      attachments.push({
        healId,
        fingerprint: ref.fingerprint,
        startsAt: ref.startsAt,
        alertname: ref.alertname,
      });
    },
    /** Writes what was placed so far: before a resolved alert is looked up, and at the end. */
    *flush(): Program<void> {
      if (heals.length > 0) yield* tx.insertHeals(heals);
      if (attachments.length > 0) yield* tx.attachAlerts(attachments, at);
      if (deferrals.length > 0) yield* tx.insertDeferredMatches(deferrals, deliveryId, input);
      heals = [];
      attachments = [];
      deferrals = [];
    },
  };
}
