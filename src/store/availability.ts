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
  start(): void;
  stop(): Promise<void>;
};

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The store's health as salve sees it: a cheap write probe proves that the store can commit (a read-only
 * disk, a full disk, a deleted SQLite file or a read-only PostgreSQL all fail it), and every store call that
 * fails counts. Outage logging lives here, once: one error line when the store becomes unavailable, one line
 * when it is back, and a summary at most every `summaryEveryMs` in between. Callers of the store log nothing
 * of their own for SALVE_STORE_UNAVAILABLE (no stack per request, per work-loop turn).
 */
export function createStoreAvailability(options: StoreAvailabilityOptions): StoreAvailability {
  const { log, metrics } = options;
  const probeEveryMs = options.probeEveryMs ?? 2_000;
  const answerMs = options.answerMs ?? 800;
  const summaryEveryMs = options.summaryEveryMs ?? 30_000;
  const reuseProbeMs = options.reuseProbeMs ?? 250;
  let up = true;
  let downSince = 0;
  let lastSummary = 0;
  let cause = '';
  let lastProbe: { at: number; ok: boolean; detail: string } | null = null;
  let inFlight: Promise<boolean> | null = null;
  const failures = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  metrics.storeUp.set(1);

  const countsOf = () => Object.fromEntries(failures);

  function failed(where: string, err: unknown): void {
    failures.set(where, (failures.get(where) ?? 0) + 1);
    metrics.storeFailures.inc({ operation: where });
    const now = performance.now();
    if (up) {
      up = false;
      downSince = now;
      lastSummary = now;
      cause = messageOf(err);
      metrics.storeUp.set(0);
      log.error({ store: options.store.kind, operation: where, cause }, `store unavailable: ${cause}`);
      return;
    }
    summarise(now);
  }

  function summarise(now: number): void {
    if (up || now - lastSummary < summaryEveryMs) return;
    lastSummary = now;
    log.warn(
      { store: options.store.kind, downForMs: Math.round(now - downSince), failures: countsOf(), cause },
      'store still unavailable',
    );
  }

  function recovered(): void {
    if (up) return;
    up = true;
    metrics.storeUp.set(1);
    log.info(
      {
        store: options.store.kind,
        downForMs: Math.round(performance.now() - downSince),
        failures: countsOf(),
      },
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
          recovered();
          return true;
        },
        (err: unknown) => {
          lastProbe = { at: performance.now(), ok: false, detail: messageOf(err) };
          failed('probe', err);
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
