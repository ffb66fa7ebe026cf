import pg from 'pg';
import { backoffDelay } from '../../domain/backoff.js';
import { SalveError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { classifyConnectionError, describeServer } from './connection-errors.js';

export type WaitOptions = {
  url: string;
  /** How long to keep trying while the cause is one that time can cure (refused, timed out, starting up). */
  waitMs: number;
  /** One attempt's connect timeout. */
  connectMs: number;
  log?: Logger;
  /** Between attempts; tests shorten it. */
  sleep?: (ms: number) => Promise<void>;
};

/** Between start-up attempts: from a quarter second, doubling, at most 5 s; replicas starting together spread out. */
const startupBackoff = { baseMs: 250, maxMs: 5_000, jitter: 0.5 };

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function attempt(url: string, connectMs: number): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: connectMs,
    query_timeout: connectMs,
  });
  // A failure after connect (the server going away mid-query) must not become an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Start-up waits for PostgreSQL (a database that starts together with salve, a failover in progress) with
 * capped exponential backoff, for up to `waitMs`. It gives up at once when waiting cannot help (wrong
 * password, missing database), and its error names the server and the cause.
 */
export async function waitForPostgres(options: WaitOptions): Promise<void> {
  const sleep = options.sleep ?? sleepFor;
  const server = describeServer(options.url);
  const started = performance.now();
  for (let tries = 1; ; tries++) {
    try {
      await attempt(options.url, options.connectMs);
      if (tries > 1) options.log?.info({ server, tries }, 'PostgreSQL is reachable');
      return;
    } catch (err) {
      const problem = classifyConnectionError(err);
      const waited = performance.now() - started;
      if (!problem.retry || waited >= options.waitMs) {
        const gaveUp = problem.retry
          ? `; still failing after ${Math.round(waited / 1000)} s and ${tries} attempts (SALVE_STORE_WAIT)`
          : '';
        throw new SalveError(
          'SALVE_STORE_UNAVAILABLE',
          `PostgreSQL at ${server}: ${problem.cause} (${problem.detail})${gaveUp}`,
          { cause: err, retryable: problem.retry, details: { cause: problem.cause } },
        );
      }
      // The first failure and then one line every few attempts: waiting is expected, not alarming.
      if (tries === 1 || tries % 5 === 0) {
        options.log?.warn(
          { server, cause: problem.cause, detail: problem.detail, tries, waitMs: options.waitMs },
          'waiting for PostgreSQL',
        );
      }
      // The last attempt comes when the wait is over, not a backoff step before it.
      await sleep(Math.min(backoffDelay(tries - 1, startupBackoff), options.waitMs - waited));
    }
  }
}
