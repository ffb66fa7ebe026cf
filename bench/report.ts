import type { BreakdownRow } from './breakdown.js';
import type { IngestRun } from './ingest.js';
import type { MatchRow } from './match.js';
import type { StormRun } from './storm.js';
import { fixed, grouped, renderTable } from './table.js';
import type { VerifyRun } from './verify.js';

/** Issue 17's targets: deliveries/s over the bare route's, by scenario (new alerts, re-deliveries); p99. */
export const targets = { minRatio: { new: 0.3, redelivery: 0.5 }, maxP99Ms: 20 } as const;

export type Verdict = {
  ratio: number;
  ratioMet: boolean;
  p99Met: boolean;
  /** Bare CPU per delivery over salve's: the ratio salve would reach if CPU were the only limit. */
  cpuRatio: number;
};

/** salve's deliveries/s over the bare route's, measured in the same run. */
export function verdict(run: IngestRun, runs: readonly IngestRun[]): Verdict | null {
  if (run.server === 'bare') return null;
  const bare = runs.find((r) => r.server === 'bare');
  if (bare === undefined || bare.deliveriesPerSecond === 0) return null;
  const ratio = run.deliveriesPerSecond / bare.deliveriesPerSecond;
  return {
    ratio,
    ratioMet: ratio >= targets.minRatio[run.scenario ?? 'new'],
    p99Met: run.p99Ms <= targets.maxP99Ms,
    cpuRatio: bare.cpuMicrosPerDelivery / run.cpuMicrosPerDelivery,
  };
}

const mark = (met: boolean) => (met ? 'met' : 'MISSED');
const serverName = (run: IngestRun) =>
  run.server === 'bare'
    ? 'bare fastify'
    : run.server === 'floor'
      ? 'floor: bare + SQLite rows'
      : run.server === 'floor-by-time'
        ? 'floor, identity by start time'
        : run.server === 'floor-postgres'
          ? `floor: bare + PostgreSQL rows${run.replicas > 1 ? `, x${run.replicas} processes` : ''}`
          : `salve (${run.store === 'postgres' ? `postgres${run.replicas > 1 ? ` x${run.replicas} replicas` : ''}, ` : ''}log ${run.logLevel}${run.tracedSpans === null ? '' : ', traced'}${run.sqliteWriter === 'event-loop' ? ', writer on the event loop' : ''})`;
const scenarioNames = { new: 'new alerts', redelivery: 're-deliveries' } as const;
const scenarioName = (run: IngestRun) => (run.scenario === null ? 'either' : scenarioNames[run.scenario]);
/** The scenario and the server, as one name. */
export const runLabel = (run: IngestRun) => `${scenarioName(run)}, ${serverName(run)}`;
/** Busy share of the machine's CPUs, and in brackets the part that was none of the run's own processes. */
const machineBusy = (run: IngestRun) =>
  run.machineBusy === null
    ? '-'
    : `${fixed(run.machineBusy * 100, 0)}% (${fixed((run.othersBusy ?? 0) * 100, 0)}%)`;

function otherStatuses(run: IngestRun): string {
  const other = Object.entries(run.statusCounts).filter(([s]) => s !== '202');
  const parts = other.map(([s, n]) => `${n}x${s}`);
  if (run.errors > 0) parts.push(`${run.errors} errors`);
  return parts.length > 0 ? parts.join(' ') : '-';
}

export function ingestReport(runs: readonly IngestRun[], redeliveryRatio: number): string {
  const rows = runs.map((run) => {
    const v = verdict(run, runs);
    return [
      scenarioName(run),
      serverName(run),
      grouped(run.deliveriesPerSecond),
      grouped(run.alertsPerSecond),
      fixed(run.p50Ms, 2),
      fixed(run.p99Ms, 2),
      fixed(run.peakRssMiB, 0),
      grouped(run.cpuMicrosPerDelivery),
      run.storeCpuMicrosPerDelivery === null ? '-' : grouped(run.storeCpuMicrosPerDelivery),
      `${fixed(run.loopBusy * 100, 0)}%`,
      grouped(run.loadCpuMicrosPerDelivery),
      machineBusy(run),
      run.logBytes > 0 ? fixed(run.logBytes / run.seconds / 1024, 0) : '-',
      v ? `${fixed(v.ratio, 2)} ${mark(v.ratioMet)}` : '-',
      v ? mark(v.p99Met) : '-',
      v ? fixed(v.cpuRatio, 2) : '-',
      otherStatuses(run),
    ];
  });
  const table = renderTable(
    [
      'scenario',
      'server',
      'deliveries/s',
      'alerts/s',
      'p50 ms',
      'p99 ms',
      'peak RSS MiB',
      'CPU us/delivery',
      'PostgreSQL CPU us/delivery',
      'loop busy',
      'load generator CPU us/delivery',
      'machine CPUs busy (others)',
      'log KiB/s',
      `ratio (>= ${targets.minRatio.new}, re-deliveries ${targets.minRatio.redelivery})`,
      `p99 <= ${targets.maxP99Ms} ms`,
      'CPU ratio',
      'non-202',
    ],
    rows,
  );
  const checks = runs
    .filter((r) => r.durability !== null)
    .map((r) => {
      const d = r.durability!;
      return `  ${scenarioName(r)}, ${serverName(r)}: ${grouped(d.acknowledgedDeliveries)} deliveries acknowledged (202) carrying ${grouped(d.acknowledgedAlerts)} distinct alerts; ${grouped(d.stored)} alerts in the store after kill -9; missing ${d.missing}: ${d.ok ? 'OK' : 'FAILED'}`;
    });
  return [
    `Webhook ingestion: 10-alert deliveries; "re-deliveries" repeats a recent group ${Math.round(redeliveryRatio * 100)}% of the time`,
    table,
    '',
    'Durability: every alert of every acknowledged delivery must be in the store',
    ...checks,
  ].join('\n');
}

export function stormReport(runs: readonly StormRun[]): string {
  const rows = runs.map((r) => [
    r.server === 'bare' ? 'bare fastify' : r.built ? 'salve (built: node dist)' : 'salve',
    grouped(r.alerts),
    fixed(r.seconds, 1),
    fixed(r.rssBeforeMiB, 0),
    fixed(r.heapBeforeMiB, 0),
    fixed(r.peakRssMiB, 0),
    fixed(r.rssAfterMiB, 0),
    fixed(r.rssAfterGcMiB, 0),
    fixed(r.heapAfterGcMiB, 0),
    fixed(r.storeMiB, 0),
  ]);
  const checks = runs
    .filter((r) => r.durability !== null)
    .map(
      (r) =>
        `  storm, salve${r.built ? ' (built)' : ''}: ${grouped(r.durability!.acknowledgedAlerts)} acknowledged alerts, missing ${r.durability!.missing}: ${r.durability!.ok ? 'OK' : 'FAILED'}`,
    );
  return [
    'Memory under an alert storm (all new alerts)',
    renderTable(
      [
        'server',
        'alerts',
        'seconds',
        'RSS before MiB',
        'heap before MiB',
        'peak MiB',
        'after MiB',
        'after GC MiB',
        'heap after GC MiB',
        'store MiB',
      ],
      rows,
    ),
    ...checks,
  ].join('\n');
}

export function verifyReport(run: VerifyRun): string {
  const each = run.verifySeconds.map((s) => `${fixed(s, 1)} s`).join(', ');
  return [
    `Verify under load: webhook latency alone, then while GET /v1/audit/verify?full=true walks a chain of ${grouped(run.records)} records again and again`,
    renderTable(
      ['phase', 'deliveries/s', 'p50 ms', 'p99 ms'],
      [
        [
          'webhooks alone',
          grouped(run.deliveriesPerSecondAlone),
          fixed(run.aloneP50Ms, 2),
          fixed(run.aloneP99Ms, 2),
        ],
        [
          'webhooks while verifying',
          grouped(run.deliveriesPerSecondDuring),
          fixed(run.duringP50Ms, 2),
          fixed(run.duringP99Ms, 2),
        ],
      ],
    ),
    `${run.verifies} full verify(s) (${each || 'none finished'}); chain ${run.verifiedOk ? 'intact every time' : 'REPORTED BROKEN'}`,
  ].join('\n');
}

export function matchReport(rows: readonly MatchRow[]): string {
  return [
    'Match cost: evaluateAlert per alert (median of 9 rounds) beside JSON.parse of the same alert',
    renderTable(
      [
        'policies',
        'table',
        'alert',
        'matched',
        'evaluate ns',
        'JSON.parse ns',
        'evaluate/parse',
        'table load ms',
      ],
      rows.map((r) => [
        grouped(r.policies),
        r.shape,
        r.alert,
        String(r.matched),
        grouped(r.evaluateNs),
        grouped(r.jsonParseNs),
        fixed(r.evaluateNs / r.jsonParseNs, 2),
        grouped(r.loadMs),
      ]),
    ),
  ].join('\n');
}

export function breakdownReport(rows: readonly BreakdownRow[]): string {
  return [
    'Breakdown: one 10-alert delivery, step by step, in one process (median of rounds; store steps run once)',
    renderTable(
      ['step', 'us/delivery', 'CPU us/delivery'],
      rows.map((r) => [r.step, fixed(r.microsPerDelivery, 1), fixed(r.cpuMicrosPerDelivery, 1)]),
    ),
  ].join('\n');
}
