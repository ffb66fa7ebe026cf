export type FaultMatch = { method?: string; path?: RegExp };
export type FaultKind = 'fail' | 'delay' | 'drop' | 'conflict';
export type FaultRule = {
  kind: FaultKind;
  match: FaultMatch;
  remaining: number;
  status?: number;
  reason?: string;
  ms?: number;
};

export type Faults = {
  /** Next `times` requests matching method+path regex answer `status` (a proper Status body). */
  failNext(match: FaultMatch, status: number, times?: number, reason?: string): void;
  /** Add latency (ms) to matching requests; `times` defaults to every matching request until clear(). */
  delay(match: FaultMatch, ms: number, times?: number): void;
  /** Destroy the socket without answering for the next matching requests. */
  dropNext(match: FaultMatch, times?: number): void;
  /** Next matching update/patch (PUT/PATCH) answers 409 Conflict as if the resourceVersion were stale. */
  conflictNext(match: FaultMatch, times?: number): void;
  clear(): void;
};

function matches(m: FaultMatch, method: string, path: string): boolean {
  if (m.method !== undefined && m.method.toUpperCase() !== method) return false;
  if (m.path === undefined) return true;
  m.path.lastIndex = 0;
  return m.path.test(path);
}

/** Injected faults, consumed in the order they were added. Paths match the URL path without its query. */
export class FaultTable {
  readonly #rules: FaultRule[] = [];

  add(rule: FaultRule): void {
    if (rule.remaining > 0) this.#rules.push(rule);
  }

  take(kind: FaultKind, method: string, path: string): FaultRule | undefined {
    const i = this.#rules.findIndex((r) => r.kind === kind && matches(r.match, method, path));
    const rule = this.#rules[i];
    if (rule === undefined) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.#rules.splice(i, 1);
    return rule;
  }

  clear(): void {
    this.#rules.length = 0;
  }

  api(): Faults {
    return {
      failNext: (match, status, times = 1, reason) =>
        this.add({
          kind: 'fail',
          match,
          remaining: times,
          status,
          ...(reason === undefined ? {} : { reason }),
        }),
      delay: (match, ms, times = Number.POSITIVE_INFINITY) =>
        this.add({ kind: 'delay', match, remaining: times, ms }),
      dropNext: (match, times = 1) => this.add({ kind: 'drop', match, remaining: times }),
      conflictNext: (match, times = 1) => this.add({ kind: 'conflict', match, remaining: times }),
      clear: () => this.clear(),
    };
  }
}
