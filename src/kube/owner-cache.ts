import { ActionFailed } from '../errors.js';
import { type ChainSubject, type ChainWalk, type HeadLookup, walkOwnerChain } from './owner-chain.js';
import type { ChainKind, HeadInformer, KubeClient, ObjectHead } from './port.js';

// The owner-chain cache: list + watch of the chain kinds in the namespaces ownerOf policies may point at, so that
// a webhook delivery resolves pods to their controllers in memory. A miss (not synced yet, a watch failing, a
// namespace not watched) is settled by reads by name within a short deadline; when the API does not answer in
// time the walk is `unavailable`, and the caller keeps the alert and tries again later.

/** Which kinds to watch in which namespaces (derived from the policies; see ownerWatchPlan). */
export type WatchPlan = ReadonlyMap<string, ReadonlySet<ChainKind>>;

export type OwnerCacheSettings = {
  /** Deadline of all the reads one resolution makes on a miss. */
  lookupTimeoutMs: number;
  /** How long a head (or its absence) read on a miss is re-used, so one delivery's pods cost one read each. */
  lookupMemoMs: number;
};

export const defaultOwnerCacheSettings: OwnerCacheSettings = { lookupTimeoutMs: 1_000, lookupMemoMs: 10_000 };

/** Either a walk (resolved, unresolved or still unknown) or: the API could not be asked in time. */
export type OwnerResolution =
  | ChainWalk
  | { status: 'unavailable'; detail: string; missing: { kind: ChainKind; name: string } };

export type InformerStatus = {
  namespace: string;
  kind: ChainKind;
  synced: boolean;
  objects: number;
  failing?: string;
};

export type OwnerCacheStatus = {
  /** True when every informer has listed at least once (no informer at all is synced too). */
  synced: boolean;
  informers: InformerStatus[];
};

export type OwnerCache = {
  /** Starts and stops informers to match the plan. */
  watch(plan: WatchPlan): void;
  /** In memory, no request: `unknown` when the cache cannot tell. */
  resolve(subject: ChainSubject): ChainWalk;
  /** As resolve, then reads by name what the cache misses, all within the lookup deadline. Never throws. */
  resolveOrLookup(subject: ChainSubject): Promise<OwnerResolution>;
  status(): OwnerCacheStatus;
  stop(): Promise<void>;
};

export type OwnerCacheDeps = {
  kube: KubeClient;
  now: () => number;
  settings?: Partial<OwnerCacheSettings>;
  onError?(err: Error, where: { namespace: string; kind: ChainKind }): void;
  onSynced?(where: { namespace: string; kind: ChainKind }): void;
};

const key = (namespace: string, kind: string, name = '') => `${namespace}\u0000${kind}\u0000${name}`;

export function createOwnerCache(deps: OwnerCacheDeps): OwnerCache {
  const settings = { ...defaultOwnerCacheSettings, ...deps.settings };
  const informers = new Map<string, { namespace: string; kind: ChainKind; informer: HeadInformer }>();
  const memo = new Map<string, { head: ObjectHead | 'absent'; until: number }>();

  /** What the watched heads say. A miss is trusted only from an informer that is synced and not failing. */
  function fromCache(namespace: string): HeadLookup {
    return (kind, name) => {
      const entry = informers.get(key(namespace, kind));
      if (entry === undefined || !entry.informer.synced) return 'unknown';
      const head = entry.informer.get(name);
      if (head !== undefined) return head;
      return entry.informer.failing === undefined ? 'absent' : 'unknown';
    };
  }

  function remembered(namespace: string, kind: ChainKind, name: string): ObjectHead | 'absent' | undefined {
    const k = key(namespace, kind, name);
    const hit = memo.get(k);
    if (hit === undefined) return undefined;
    if (hit.until > deps.now()) return hit.head;
    memo.delete(k);
    return undefined;
  }

  function remember(namespace: string, kind: ChainKind, name: string, head: ObjectHead | 'absent'): void {
    // Bounded: hostile labels naming a thousand pods must not grow it without end.
    if (memo.size >= 1_000) memo.clear();
    memo.set(key(namespace, kind, name), { head, until: deps.now() + settings.lookupMemoMs });
  }

  async function read(
    namespace: string,
    kind: ChainKind,
    name: string,
    deadline: number,
  ): Promise<ObjectHead | 'absent' | Error> {
    const left = deadline - deps.now();
    if (left <= 0) return new Error(`no answer within ${settings.lookupTimeoutMs} ms`);
    try {
      const head = await deps.kube.getHead(kind, namespace, name, { timeoutMs: left });
      remember(namespace, kind, name, head);
      return head;
    } catch (err) {
      if (err instanceof ActionFailed && err.code === 'SALVE_KUBE_NOT_FOUND') {
        remember(namespace, kind, name, 'absent');
        return 'absent';
      }
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  return {
    watch(plan) {
      const wanted = new Set<string>();
      for (const [namespace, kinds] of plan) {
        for (const kind of kinds) {
          const k = key(namespace, kind);
          wanted.add(k);
          if (informers.has(k)) continue;
          const where = { namespace, kind };
          const informer = deps.kube.watchHeads(kind, namespace, {
            onSynced: () => deps.onSynced?.(where),
            onError: (err) => deps.onError?.(err, where),
          });
          informers.set(k, { namespace, kind, informer });
        }
      }
      for (const [k, entry] of informers) {
        if (wanted.has(k)) continue;
        informers.delete(k);
        void entry.informer.stop();
      }
    },

    resolve(subject) {
      return walkOwnerChain(subject, fromCache(subject.namespace));
    },

    async resolveOrLookup(subject) {
      const { namespace } = subject;
      const cached = fromCache(namespace);
      const readNow = new Map<string, ObjectHead | 'absent'>();
      const lookup: HeadLookup = (kind, name) => {
        const answer = cached(kind, name);
        if (answer !== 'unknown') return answer;
        return readNow.get(key(namespace, kind, name)) ?? remembered(namespace, kind, name) ?? 'unknown';
      };
      const deadline = deps.now() + settings.lookupTimeoutMs;
      // Each round settles one missing link; a chain is at most a few links long.
      for (;;) {
        const walk = walkOwnerChain(subject, lookup);
        if (walk.status !== 'unknown') return walk;
        const { kind, name } = walk.missing;
        const found = await read(namespace, kind, name, deadline);
        if (found instanceof ActionFailed && !found.retryable) {
          return { status: 'unresolved', why: 'unreadable', chain: walk.chain, detail: found.message };
        }
        if (found instanceof Error) {
          return { status: 'unavailable', detail: found.message, missing: walk.missing };
        }
        readNow.set(key(namespace, kind, name), found);
      }
    },

    status() {
      const list = [...informers.values()].map(({ namespace, kind, informer }) => ({
        namespace,
        kind,
        synced: informer.synced,
        objects: informer.list().length,
        ...(informer.failing === undefined ? {} : { failing: informer.failing.message }),
      }));
      return { synced: list.every((i) => i.synced), informers: list };
    },

    async stop() {
      const all = [...informers.values()];
      informers.clear();
      await Promise.all(all.map((entry) => entry.informer.stop()));
    },
  };
}
