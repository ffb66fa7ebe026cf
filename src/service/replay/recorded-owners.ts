import { auditTypes } from '../../domain/audit.js';
import type { OwnerResolution } from '../../kube/owner-cache.js';
import type { ChainLink, ChainSubject } from '../../kube/owner-chain.js';
import { isChainKind } from '../../kube/port.js';
import type { OwnerResolver } from '../../policy/target.js';
import type { Store } from '../../store/types.js';

// A backtest reads no cluster: the pods of last week are gone, and today's objects would answer a question about
// today. What an `ownerOf` target resolved to is a fact salve recorded when it matched: each heal.opened record
// and each attached alert (heal.alerts_attached, and the per-alert heal.alert_attached of earlier versions) keeps
// the chain it followed. A backtest resolves through those chains; an object whose chain was never recorded
// (no policy in force resolved it, or the history is a file of payloads and the store holds nothing about it)
// stays unresolved, and the report counts it apart: neither a heal nor a refusal.

const subjectKey = (s: ChainSubject) => `${s.kind}\u0000${s.namespace}\u0000${s.name}`;

export type RecordedOwners = {
  /** Resolves as of `at`: the chain recorded last at or before it, else the first recorded after it. */
  resolverAt(at: string): OwnerResolver;
  /** Subjects with a recorded chain. */
  readonly size: number;
};

type Recorded = { at: string; chain: ChainLink[] };

/** A recorded `{subject, chain}`, checked: the audit data is JSON, whatever wrote it. */
function resolutionOf(value: unknown): { subject: ChainSubject; chain: ChainLink[] } | null {
  if (typeof value !== 'object' || value === null) return null;
  const { subject, chain } = value as { subject?: unknown; chain?: unknown };
  if (typeof subject !== 'object' || subject === null || !Array.isArray(chain) || chain.length === 0)
    return null;
  const s = subject as Record<string, unknown>;
  if (
    typeof s.kind !== 'string' ||
    !isChainKind(s.kind) ||
    typeof s.namespace !== 'string' ||
    typeof s.name !== 'string'
  )
    return null;
  const links = chain.filter(
    (l): l is ChainLink =>
      typeof l === 'object' &&
      l !== null &&
      typeof (l as ChainLink).kind === 'string' &&
      typeof (l as ChainLink).name === 'string',
  );
  if (links.length !== chain.length) return null;
  return {
    subject: { kind: s.kind, namespace: s.namespace, name: s.name },
    chain: links.map((l) => ({ kind: l.kind, name: l.name })),
  };
}

/** Every resolution one record holds: the heal's own, or each attached alert's. */
function resolutionsIn(type: string, data: Record<string, unknown>): unknown[] {
  if (type === auditTypes.healAlertsAttached) {
    const alerts = Array.isArray(data.alerts) ? data.alerts : [];
    return alerts.map((a) =>
      typeof a === 'object' && a !== null ? (a as { resolution?: unknown }).resolution : null,
    );
  }
  return [data.resolution];
}

/** The owner chains recorded since `since`, read page by page (only when a table resolves `ownerOf`). */
export async function recordedOwners(
  store: Pick<Store, 'queryAudit'>,
  since: string,
): Promise<RecordedOwners> {
  const bySubject = new Map<string, Recorded[]>();
  const types = [auditTypes.healOpened, auditTypes.healAlertsAttached, auditTypes.healAlertAttached];
  const page = 5000;
  for (const type of types) {
    let afterSeq = 0;
    for (;;) {
      const records = await store.queryAudit({ type, since, afterSeq, limit: page });
      for (const r of records) {
        for (const value of resolutionsIn(r.type, r.data)) {
          const found = resolutionOf(value);
          if (!found) continue;
          const key = subjectKey(found.subject);
          const list = bySubject.get(key) ?? [];
          list.push({ at: r.at, chain: found.chain });
          bySubject.set(key, list);
        }
      }
      if (records.length < page) break;
      afterSeq = records.at(-1)!.seq;
    }
  }
  for (const list of bySubject.values()) list.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return {
    size: bySubject.size,
    resolverAt(at: string): OwnerResolver {
      return (subject): OwnerResolution => {
        const list = bySubject.get(subjectKey(subject));
        if (list === undefined) {
          return {
            status: 'unavailable',
            detail: `no owner chain of ${subject.kind} ${subject.namespace}/${subject.name} was recorded, and a backtest reads no cluster`,
            missing: { kind: subject.kind, name: subject.name },
          };
        }
        const before = list.filter((r) => r.at <= at).at(-1);
        return { status: 'resolved', chain: (before ?? list[0]!).chain };
      };
    },
  };
}
