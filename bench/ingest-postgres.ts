import { startTestPostgres } from '../test/support/postgres.js';
import { type IngestRun, runOnce } from './ingest.js';
import type { BenchOptions } from './options.js';
import { postgresCpuReader } from './postgres-cpu.js';

/**
 * The warm-up stretched so that each of `processes` sharing the load warms on about as many deliveries as one
 * process alone does. A process is not at its steady cost until it has handled a few thousand deliveries (V8
 * compiles the hot paths, each connection plans its statements): with the warm-up in seconds, each of three
 * would enter the measured window after a third of the lone one's warm-up, and its window would measure that.
 */
const perProcessWarmup = (options: BenchOptions, processes: number): BenchOptions => ({
  ...options,
  warmup: options.warmup * processes,
});

/**
 * The ingestion scenarios again with salve committing to PostgreSQL (SALVE_STORE=postgres://...), one fresh
 * database per run on one embedded PostgreSQL with fsync on, as in production. The server runs on this
 * machine, so it competes with salve and the load generator for the same CPUs. Only the headline log level:
 * the log costs the same whatever the store. New alerts once more with three replicas sharing the database,
 * and the floor on PostgreSQL (bench/floor-postgres.ts: parse, commit the rows, nothing else) as one process
 * and as three: whether this machine lets three processes together commit more than one, whatever they run.
 */
export async function benchIngestPostgres(
  options: BenchOptions,
  progress: (line: string) => void,
  /** The bare route's run, when the ingest section has not measured it already (the ratio needs it). */
  withBare: boolean,
): Promise<IngestRun[]> {
  progress('ingest-postgres: starting an embedded PostgreSQL (fsync on)');
  const pg = await startTestPostgres({ durable: true });
  try {
    const storeCpuMicros = await postgresCpuReader(pg);
    // What the backends wait on (locks, the WAL's fsync, salve), sampled from a connection of its own.
    const waitsVia = pg.adminUrl;
    let salt = 50;
    const runs: IngestRun[] = [];
    if (withBare) {
      runs.push(
        await runOnce({ scenario: 'new', server: 'bare', logLevel: null, salt: salt++ }, options, progress),
      );
    }
    const logLevel = options.logLevels[0] ?? 'info';
    for (const scenario of ['new', 'redelivery'] as const) {
      const postgresUrl = await pg.createDatabase();
      runs.push(
        await runOnce(
          { scenario, server: 'salve', logLevel, salt: salt++, postgresUrl, storeCpuMicros, waitsVia },
          options,
          progress,
        ),
      );
    }
    // Three replicas on the one database, the same load shared between them: replicas add capacity only if
    // their batches do not wait on each other (target: together at least one replica's rate).
    runs.push(
      await runOnce(
        {
          scenario: 'new',
          server: 'salve',
          logLevel,
          salt: salt++,
          postgresUrl: await pg.createDatabase(),
          storeCpuMicros,
          waitsVia,
          replicas: 3,
        },
        perProcessWarmup(options, 3),
        progress,
      ),
    );
    for (const replicas of [1, 3]) {
      runs.push(
        await runOnce(
          {
            scenario: 'new',
            server: 'floor-postgres',
            logLevel: null,
            salt: salt++,
            postgresUrl: await pg.createDatabase(),
            storeCpuMicros,
            waitsVia,
            replicas,
          },
          perProcessWarmup(options, replicas),
          progress,
        ),
      );
    }
    return runs;
  } finally {
    await pg.stop();
  }
}
