import { isStoreUnavailable } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from './types.js';

export type StoreAvailabilityOptions = {
  store: Store;
  log: Logger;
  metrics: Pick<Metrics, 'storeUp' | 'storeFailures'>;
  /** How often the write probe runs while the store is up (faster while it is down). */
  probeEveryMs?: number;
  /** /readyz answers within this, whatever the store does. */
  answerMs?: number;
  /**
   * /readyz probes the store itself (it must say what the store does now, not seconds ago), but reuses a probe
   * younger than this: /readyz is unauthenticated, and a flood of it must not become a flood of writes.
   */
  reuseProbeMs?: number;
  /** While the store is down, one summary line this often. */
  summaryEveryMs?: number;
};

export type Readiness = { ok: boolean; detail: string };

export type StoreAvailability = {
  /** Wraps the store: every call that fails with SALVE_STORE_UNAVAILABLE is counted and marks the store down. */
  observe(store: Store): Store;
  /** Whether the store committed recently; answers within `answerMs`. */
  readiness(): Promise<Readiness>;
  /** One write probe now; resolves true when it committed. */
  probe(): Promise<boolean>;
  /** Whether the last probe (or the calls since) found the store committing. */
  isUp(): boolean;
  /** Store calls and probes seen failing since start: what remembers the store's commits forgets them when it moves. */
  failuresSeen(): number;
  start(): void;
  stop(): Promise<void>;
};

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The store's health as salve sees it: a cheap write probe proves that the store can commit (a read-only
 * disk, a full disk, a deleted SQLite file or a read-only PostgreSQL all fail it), and every store call that
 * fails is counted and sends a probe to confirm. Outage logging lives here, once: one error line when a probe
 * confirms the store unavailable, one line when a probe commits again, and a summary at most every
 * `summaryEveryMs` in between. Callers of the store log nothing of their own for SALVE_STORE_UNAVAILABLE (no
 * stack per request, per work-loop turn).
 */
export function createStoreAvailability(options: StoreAvailabilityOptions): StoreAvailability {
  const { log, metrics } = options;
  const probeEveryMs = options.probeEveryMs ?? 2_000;
  const answerMs = options.answerMs ?? 800;
  const summaryEveryMs = options.summaryEveryMs ?? 30_000;
  const reuseProbeMs = options.reuseProbeMs ?? 250;
  let up = true;
  let downSince = 0;
  let lastSummary = -Infinity;
  let cause = '';
  let lastProbe: { at: number; ok: boolean; detail: string } | null = null;
  let inFlight: Promise<boolean> | null = null;
  const failures = new Map<string, number>();
  let failuresSeen = 0;
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  metrics.storeUp.set(1);

  const countsOf = () => Object.fromEntries(failures);

  const count = (where: string) => {
    failuresSeen += 1;
    failures.set(where, (failures.get(where) ?? 0) + 1);
    metrics.storeFailures.inc({ operation: where });
  };

  /**
   * A store call failed. Whether the store is down is for a probe to say: one slow commit under load is not
   * an outage, and must not log like one.
   */
  function failed(where: string, err: unknown): void {
    count(where);
    if (up) {
      cause = messageOf(err);
      void probe();
    } else summarise(performance.now());
  }

  function wentDown(err: unknown): void {
    const now = performance.now();
    if (!up) {
      summarise(now);
      return;
    }
    up = false;
    downSince = now;
    lastSummary = now;
    const why = messageOf(err);
    metrics.storeUp.set(0);
    log.error(
      { store: options.store.kind, cause: why, ...(cause && cause !== why ? { firstFailure: cause } : {}) },
      `store unavailable: ${why}`,
    );
    cause = why;
  }

  function summarise(now: number): void {
    if (up || now - lastSummary < summaryEveryMs) return;
    lastSummary = now;
    log.warn(
      { store: options.store.kind, downForMs: Math.round(now - downSince), failures: countsOf(), cause },
      'store still unavailable',
    );
  }

  function committed(): void {
    const now = performance.now();
    if (up) {
      // Calls failed, yet the store commits: slow or passing trouble, told at most once per summary period.
      if (failures.size > 0 && now - lastSummary >= summaryEveryMs) {
        lastSummary = now;
        log.warn(
          { store: options.store.kind, failures: countsOf(), cause },
          'store calls failed while the store commits',
        );
        failures.clear();
      }
      return;
    }
    up = true;
    lastSummary = now;
    metrics.storeUp.set(1);
    log.info(
      { store: options.store.kind, downForMs: Math.round(now - downSince), failures: countsOf() },
      'store available again',
    );
    failures.clear();
  }

  function probe(): Promise<boolean> {
    inFlight ??= options.store
      .ping()
      .then(
        () => {
          lastProbe = { at: performance.now(), ok: true, detail: 'ok' };
          committed();
          return true;
        },
        (err: unknown) => {
          lastProbe = { at: performance.now(), ok: false, detail: messageOf(err) };
          count('probe');
          wentDown(err);
          return false;
        },
      )
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  }

  function schedule(): void {
    if (!running) return;
    timer = setTimeout(
      () => {
        void probe().finally(schedule);
      },
      up ? probeEveryMs : Math.min(probeEveryMs, 1_000),
    );
    timer.unref();
  }

  return {
    observe(store) {
      const observed = { ...store } as Record<string, unknown>;
      for (const [name, fn] of Object.entries(store)) {
        if (typeof fn !== 'function' || name === 'ping') continue;
        observed[name] = (...args: unknown[]) =>
          (fn as (...a: unknown[]) => Promise<unknown>).apply(store, args).catch((err: unknown) => {
            if (isStoreUnavailable(err)) failed(name, err);
            throw err;
          });
      }
      return observed as unknown as Store;
    },

    async readiness() {
      const fresh = lastProbe !== null && performance.now() - lastProbe.at < reuseProbeMs;
      if (!fresh) {
        let wait: NodeJS.Timeout | undefined;
        const answered = await Promise.race([
          probe().then(() => true),
          new Promise<false>((resolve) => {
            wait = setTimeout(() => resolve(false), answerMs);
          }),
        ]);
        clearTimeout(wait);
        if (!answered) return { ok: false, detail: `the store did not commit within ${answerMs} ms` };
      }
      if (up && lastProbe?.ok) return { ok: true, detail: 'ok (commits)' };
      return { ok: false, detail: `cannot commit: ${lastProbe?.ok === false ? lastProbe.detail : cause}` };
    },

    probe,
    isUp: () => up,
    failuresSeen: () => failuresSeen,

    start() {
      if (running) return;
      running = true;
      schedule();
    },

    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await inFlight;
    },
  };
}
