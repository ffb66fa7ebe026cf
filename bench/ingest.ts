import fs from 'node:fs';
import path from 'node:path';
import { type OtlpReceiver, startOtlpReceiver } from '../test/support/otlp-receiver.js';
import { type ServerChild, type ServerKind, startServer } from './child.js';
import { createDeliveryStream } from './deliveries.js';
import { driveAll } from './load.js';
import { watchMachineCpu } from './machine-cpu.js';
import type { BenchOptions } from './options.js';
import { sampleWaits, type WaitShares } from './postgres-waits.js';
import type { ServerStats } from './server.js';
import { mib, percentile } from './stats.js';
import { type DurabilityCheck, verifyDurability } from './verify-store.js';
import { createWorkspace } from './workspace.js';

export type Scenario = 'new' | 'redelivery';

export type IngestRun = {
  /** null for the bare route: it parses and answers the same whatever the alerts, so it runs once. */
  scenario: Scenario | null;
  server: ServerKind;
  /** salve only. */
  logLevel: string | null;
  /** salve only: where it committed. */
  store: 'sqlite' | 'postgres' | null;
  /** salve only: traces on, exported to an OTLP/HTTP receiver (spans it received during the run). */
  tracedSpans: number | null;
  seconds: number;
  deliveriesPerSecond: number;
  alertsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMiB: number;
  /**
   * Server CPU time (user + system) per acknowledged delivery. Unlike deliveries/s it barely moves when other
   * processes compete for the CPU, so it is the steadier figure for comparing salve with the bare route.
   */
  cpuMicrosPerDelivery: number;
  /** PostgreSQL's CPU time per acknowledged delivery (its own processes); null for SQLite, inside salve. */
  storeCpuMicrosPerDelivery: number | null;
  /** Share of the run the server's event loop was busy: near 1, the server (not the load) is the limit. */
  loopBusy: number;
  /** CPU time of this process (the load generator) per acknowledged delivery. */
  loadCpuMicrosPerDelivery: number;
  /**
   * Share of the machine's CPUs busy over the measured window, and the part of it that was neither the
   * servers, the database nor the load generator (other work, kernel time charged to no process). Null
   * without /proc/stat. Near 1, the machine is saturated: rates then say how CPU is shared, not what scales.
   */
  machineBusy: number | null;
  othersBusy: number | null;
  /** PostgreSQL runs asked for it: what the database's backends were doing (see postgres-waits.ts). */
  waits: WaitShares | null;
  statusCounts: Record<string, number>;
  errors: number;
  /** Bytes of log the server wrote during the run. */
  logBytes: number;
  /** salve only: read back after kill -9. */
  durability: DurabilityCheck | null;
  /** salve processes sharing the load and the store (PostgreSQL); CPU is theirs together, RSS the largest. */
  replicas: number;
  /** salve on SQLite: where its writes ran (SALVE_SQLITE_WRITER). */
  sqliteWriter: 'worker' | 'event-loop' | null;
};

export type RunSpec = {
  scenario: Scenario;
  server: ServerKind;
  logLevel: string | null;
  salt: number;
  /** salve only: an empty PostgreSQL database to commit to instead of SQLite in the data directory. */
  postgresUrl?: string;
  /** CPU time (microseconds) the database server has used so far, when it runs in processes of its own. */
  storeCpuMicros?: (() => number) | null;
  /** salve only: send traces to this receiver (OTEL_EXPORTER_OTLP_ENDPOINT). */
  traces?: OtlpReceiver;
  /** salve on PostgreSQL only: this many replicas on the one database, the load shared between them. */
  replicas?: number;
  /** salve on SQLite only: SALVE_SQLITE_WRITER (default `worker`). */
  sqliteWriter?: 'worker' | 'event-loop';
  /** PostgreSQL only: the server's own database, to sample what the backends of `postgresUrl` wait on. */
  waitsVia?: string;
};

export async function runOnce(
  spec: RunSpec,
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<IngestRun> {
  const storeKind = spec.server !== 'salve' ? null : spec.postgresUrl ? 'postgres' : 'sqlite';
  const label =
    spec.server !== 'salve'
      ? spec.server
      : `${spec.scenario}-salve${storeKind === 'postgres' ? '-postgres' : ''}-${spec.logLevel}${spec.traces ? '-traced' : ''}${spec.sqliteWriter === 'event-loop' ? '-event-loop' : ''}`;
  const replicas = spec.replicas ?? 1;
  const workspaces = Array.from({ length: replicas }, (_, i) =>
    createWorkspace(options.dir, replicas > 1 ? `${label}-${i + 1}` : label),
  );
  // Replicas share the audit key, as they share a Secret in a cluster.
  for (const w of workspaces.slice(1))
    fs.copyFileSync(path.join(workspaces[0]!.dir, 'audit.key'), path.join(w.dir, 'audit.key'));
  const stream = createDeliveryStream({
    alertsPerDelivery: options.alertsPerDelivery,
    redeliveryRatio: spec.scenario === 'new' ? 0 : options.redeliveryRatio,
    salt: spec.salt,
  });
  // salve and the floors (the bare route is node's HTTP stack and JSON.parse, nothing to find in a profile).
  const profile =
    options.profileDir && spec.server !== 'bare'
      ? { dir: options.profileDir, label: spec.server === 'salve' ? label : `${spec.scenario}-${label}` }
      : undefined;
  const servers: ServerChild[] = [];
  try {
    for (const workspace of workspaces) {
      servers.push(
        await startServer({
          kind: spec.server,
          dir: workspace.dir,
          logLevel: spec.logLevel ?? 'info',
          engine: options.engine,
          ...(profile ? { profile } : {}),
          settings: {
            ...(spec.postgresUrl ? { SALVE_STORE: spec.postgresUrl } : {}),
            ...(spec.sqliteWriter ? { SALVE_SQLITE_WRITER: spec.sqliteWriter } : {}),
            ...(spec.traces
              ? { OTEL_EXPORTER_OTLP_ENDPOINT: spec.traces.url, OTEL_BSP_SCHEDULE_DELAY: '1000' }
              : {}),
          },
        }),
      );
    }
    progress(
      `ingest: ${label}${replicas > 1 ? ` x${replicas}` : ''} (${options.warmup}s warm-up + ${options.duration}s)`,
    );
    const urls = servers.map((s) => s.url);
    const base = { stream, connections: options.connections };
    const warm = options.warmup > 0 ? await driveAll(urls, { ...base, duration: options.warmup }) : null;
    const logFiles = workspaces.map((w) => path.join(w.dir, `${spec.server}-server.log`));
    const logSize = () => logFiles.reduce((n, f) => n + fs.statSync(f).size, 0);
    const logBefore = logSize();
    const before = await Promise.all(servers.map((s) => s.stats()));
    const storeCpuBefore = spec.storeCpuMicros?.() ?? null;
    const spansBefore = spec.traces?.spans.length ?? 0;
    const sampler =
      spec.waitsVia && spec.postgresUrl ? await sampleWaits(spec.waitsVia, spec.postgresUrl) : null;
    const machine = watchMachineCpu();
    const loadCpuBefore = process.cpuUsage();
    const load = await driveAll(urls, { ...base, duration: options.duration });
    const loadCpu = process.cpuUsage(loadCpuBefore);
    const machineCpu = machine?.stop() ?? null;
    const waits = (await sampler?.stop()) ?? null;
    const stats = await Promise.all(servers.map((s) => s.stats()));
    const storeCpuAfter = spec.storeCpuMicros?.() ?? null;
    const logBytes = logSize() - logBefore;
    let durability: DurabilityCheck | null = null;
    // A graceful stop writes the profile; otherwise kill -9, so what is in the store was committed before the 202.
    for (const server of servers) {
      if (profile) await server.stop();
      else if (spec.server === 'salve') await server.kill9();
    }
    if (spec.server === 'salve') {
      const groups = new Set([...(warm?.ackedGroups ?? []), ...load.ackedGroups]);
      durability = await verifyDurability(
        spec.postgresUrl
          ? { kind: 'postgres', url: spec.postgresUrl }
          : { kind: 'sqlite', dir: workspaces[0]!.dir },
        stream,
        groups,
        (warm?.acknowledged ?? 0) + load.acknowledged,
      );
    }
    const sum = (f: (s: ServerStats) => number, of: ServerStats[]) => of.reduce((n, s) => n + f(s), 0);
    const serverCpu = sum((s) => s.cpuMicros, stats) - sum((s) => s.cpuMicros, before);
    // The waits sampler's own backend is the bench's, not salve's: left out of PostgreSQL's CPU.
    const storeCpu =
      storeCpuBefore === null || storeCpuAfter === null
        ? 0
        : storeCpuAfter - storeCpuBefore - (waits?.samplerCpuMicros ?? 0);
    return {
      scenario: spec.server === 'bare' ? null : spec.scenario,
      server: spec.server,
      logLevel: spec.logLevel,
      store: storeKind,
      tracedSpans: spec.traces ? spec.traces.spans.length - spansBefore : null,
      seconds: load.seconds,
      deliveriesPerSecond: load.acknowledged / load.seconds,
      alertsPerSecond: (load.acknowledged * options.alertsPerDelivery) / load.seconds,
      p50Ms: percentile(load.latenciesMs, 50),
      p99Ms: percentile(load.latenciesMs, 99),
      peakRssMiB: mib(Math.max(...stats.map((s) => s.peakRss))),
      cpuMicrosPerDelivery: serverCpu / Math.max(1, load.acknowledged),
      storeCpuMicrosPerDelivery:
        storeCpuBefore === null || storeCpuAfter === null ? null : storeCpu / Math.max(1, load.acknowledged),
      loopBusy:
        stats.reduce(
          (n, s, i) => n + (s.loopActiveMs - before[i]!.loopActiveMs) / (s.atMs - before[i]!.atMs),
          0,
        ) / stats.length,
      loadCpuMicrosPerDelivery: (loadCpu.user + loadCpu.system) / Math.max(1, load.acknowledged),
      machineBusy: machineCpu?.busy ?? null,
      othersBusy: machineCpu?.others(serverCpu + storeCpu + loadCpu.user + loadCpu.system) ?? null,
      waits,
      statusCounts: load.statusCounts,
      errors: load.errors,
      logBytes,
      durability,
      replicas,
      sqliteWriter: storeKind === 'sqlite' ? (spec.sqliteWriter ?? 'worker') : null,
    };
  } finally {
    for (const server of servers) await server.kill9();
    for (const workspace of workspaces) workspace.remove();
  }
}

/**
 * The bare route once (it does the same work in both scenarios: the bodies have the same shape and size),
 * then salve per scenario at each log level; every run in a fresh process and data directory.
 */
export async function benchIngest(
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<IngestRun[]> {
  let salt = 1;
  const runs = [
    await runOnce({ scenario: 'new', server: 'bare', logLevel: null, salt: salt++ }, options, progress),
    // What durable intake of new alerts costs with nothing of salve's own, in the same run.
    await runOnce({ scenario: 'new', server: 'floor', logLevel: null, salt: salt++ }, options, progress),
    await runOnce(
      { scenario: 'new', server: 'floor-by-time', logLevel: null, salt: salt++ },
      options,
      progress,
    ),
    // And of re-deliveries: the same, answering a delivery whose alerts it committed before without a write.
    await runOnce(
      { scenario: 'redelivery', server: 'floor', logLevel: null, salt: salt++ },
      options,
      progress,
    ),
  ];
  for (const scenario of ['new', 'redelivery'] as const) {
    for (const level of options.logLevels) {
      runs.push(
        await runOnce({ scenario, server: 'salve', logLevel: level, salt: salt++ }, options, progress),
      );
    }
  }
  // New alerts again with the writes on the event loop: the writer thread's gain (or cost), in the same run.
  runs.push(
    await runOnce(
      {
        scenario: 'new',
        server: 'salve',
        logLevel: options.logLevels[0]!,
        salt: salt++,
        sqliteWriter: 'event-loop',
      },
      options,
      progress,
    ),
  );
  if (options.tracing) {
    // The headline run again, traced: the receiver decodes every export in this process, as a collector would.
    const traces = await startOtlpReceiver();
    try {
      const level = options.logLevels[0]!;
      runs.push(
        await runOnce(
          { scenario: 'new', server: 'salve', logLevel: level, salt: salt++, traces },
          options,
          progress,
        ),
      );
    } finally {
      await traces.close();
    }
  }
  return runs;
}
