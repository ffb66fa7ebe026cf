import type { IngestRun } from './ingest.js';
import { waitCategories } from './postgres-waits.js';
import { fixed, renderTable } from './table.js';

const percent = (share: number | undefined) => (share ? `${fixed(share * 100, 1)}%` : '-');

/** A category's share, whether or not the backend held the audit lock meanwhile. */
const either = (shares: Record<string, number>, category: string) =>
  (shares[category] ?? 0) + (shares[`${category}, holding audit`] ?? 0) || undefined;

/**
 * What the database's backends did during each PostgreSQL run that sampled them: each column a share of
 * backend-samples, then how often the audit lock was held, and how many deliveries each commit carried.
 */
export function waitsReport(runs: readonly IngestRun[], label: (run: IngestRun) => string): string {
  const sampled = runs.filter((r) => r.waits !== null);
  if (sampled.length === 0) return '';
  const named = new Set<string>([...waitCategories, 'idle']);
  const rows = sampled.map((run) => {
    const { shares, auditHeld, commits } = run.waits!;
    const holding = Object.entries(shares)
      .filter(([category]) => category.endsWith(', holding audit'))
      .reduce((n, [, share]) => n + share, 0);
    const others = Object.entries(shares)
      .filter(([category]) => !named.has(category.replace(', holding audit', '')))
      .reduce((n, [, share]) => n + share, 0);
    const acknowledged = run.deliveriesPerSecond * run.seconds;
    return [
      label(run),
      percent(shares.idle),
      percent(either(shares, 'running')),
      percent(either(shares, 'client, in transaction')),
      percent(shares['lock: audit']),
      percent(shares['lock: ingest']),
      percent(shares['lock: alert/target']),
      percent(either(shares, 'WAL: fsync/write')),
      percent(either(shares, "WAL: another's flush")),
      percent(others),
      percent(holding),
      percent(auditHeld),
      commits > 0 ? fixed(acknowledged / commits, 1) : '-',
    ];
  });
  return [
    'PostgreSQL backends during the ingestion runs (shares of backend-samples, every 10 ms; "holding audit": of those, with the audit lock held)',
    renderTable(
      [
        'run',
        'idle',
        'running',
        'waiting for salve in a transaction',
        'audit lock',
        'ingest lock',
        'alert/target locks',
        'WAL fsync/write',
        "another's WAL flush",
        'other waits',
        'holding audit',
        'audit lock held (samples)',
        'deliveries per commit',
      ],
      rows,
    ),
  ].join('\n');
}
