import type { KubeObject } from './types.js';
import { clone, deepEqual } from './util.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type StoreEvent = {
  rv: number;
  type: WatchEventType;
  object: KubeObject;
  /** The object before a MODIFIED event: a watch with a selector turns changes across it into ADDED/DELETED. */
  prev?: KubeObject;
};

function keyOf(apiVersion: string, kind: string, namespace: string, name: string): string {
  return `${apiVersion}|${kind}|${namespace}|${name}`;
}

function withoutRv(obj: KubeObject): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } };
}

/**
 * Objects in memory under one global resourceVersion counter, like etcd's revision. Everything handed out is a
 * copy, so callers cannot change stored state behind the counter's back. A bounded event history serves watches
 * that resume from an older resourceVersion.
 */
export class ObjectStore {
  #rv = 0;
  readonly #items = new Map<string, KubeObject>();
  readonly #history: StoreEvent[] = [];
  readonly #listeners = new Set<(e: StoreEvent) => void>();
  readonly #historyLimit: number;

  constructor(historyLimit = 10_000) {
    this.#historyLimit = historyLimit;
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  get(apiVersion: string, kind: string, namespace: string, name: string): KubeObject | undefined {
    const found = this.#items.get(keyOf(apiVersion, kind, namespace, name));
    return found === undefined ? undefined : clone(found);
  }

  list(apiVersion: string, kind: string, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const obj of this.#items.values()) {
      if (obj.apiVersion !== apiVersion || obj.kind !== kind) continue;
      if (namespace !== undefined && (obj.metadata.namespace ?? '') !== namespace) continue;
      out.push(clone(obj));
    }
    return out.sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
      ),
    );
  }

  all(): KubeObject[] {
    return [...this.#items.values()].map(clone);
  }

  /**
   * Stores a prepared object. Like the API server, writing an object identical to the stored one (ignoring
   * resourceVersion) is a no-op: no new resourceVersion, no watch event.
   */
  save(obj: KubeObject): { object: KubeObject; changed: boolean; created: boolean } {
    const key = keyOf(obj.apiVersion, obj.kind, obj.metadata.namespace ?? '', obj.metadata.name ?? '');
    const existing = this.#items.get(key);
    if (existing !== undefined && deepEqual(withoutRv(existing), withoutRv(obj))) {
      return { object: clone(existing), changed: false, created: false };
    }
    this.#rv += 1;
    const stored = clone(obj);
    stored.metadata.resourceVersion = String(this.#rv);
    this.#items.set(key, stored);
    this.#emit(
      existing === undefined
        ? { rv: this.#rv, type: 'ADDED', object: stored }
        : { rv: this.#rv, type: 'MODIFIED', object: stored, prev: existing },
    );
    return { object: clone(stored), changed: true, created: existing === undefined };
  }

  remove(apiVersion: string, kind: string, namespace: string, name: string): KubeObject | undefined {
    const key = keyOf(apiVersion, kind, namespace, name);
    const existing = this.#items.get(key);
    if (existing === undefined) return undefined;
    this.#items.delete(key);
    this.#rv += 1;
    const gone = clone(existing);
    gone.metadata.resourceVersion = String(this.#rv);
    this.#emit({ rv: this.#rv, type: 'DELETED', object: gone });
    return clone(gone);
  }

  /** Events after `rv`, or undefined when the history no longer reaches back that far (410 Gone). */
  since(rv: number): StoreEvent[] | undefined {
    const oldest = this.#history[0];
    if (oldest !== undefined && rv < oldest.rv - 1) return undefined;
    return this.#history.filter((e) => e.rv > rv).map((e) => clone(e));
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #emit(e: StoreEvent): void {
    this.#history.push(e);
    if (this.#history.length > this.#historyLimit) this.#history.shift();
    for (const fn of this.#listeners) fn(clone(e));
  }
}
