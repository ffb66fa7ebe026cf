import type { FirstActionRun } from './first-action.js';
import { fixed, grouped, renderTable } from './table.js';

export const firstActionTarget = { maxP99Ms: 25 } as const;

function backgroundCells(run: FirstActionRun): string[] {
  const b = run.background;
  if (b === null) return ['none', '-', '-'];
  const other = Object.entries(b.statusCounts)
    .filter(([s]) => s !== '202')
    .map(([s, n]) => `${n}x${s}`);
  if (b.errors > 0) other.push(`${b.errors} errors`);
  if (b.skipped > 0) other.push(`${b.skipped} skipped`);
  return [
    `${grouped(run.backgroundRate)} deliveries/s`,
    grouped(b.alertsPerSecond),
    other.length > 0 ? other.join(' ') : '-',
  ];
}

export function firstActionReport(runs: readonly FirstActionRun[]): string {
  const deployments = runs[0]?.deployments ?? 0;
  const rows = runs.map((run) => [
    ...backgroundCells(run),
    `${run.opened}/${run.sent}`,
    fixed(run.p50Ms, 2),
    fixed(run.p99Ms, 2),
    fixed(run.maxMs, 2),
    Number.isNaN(run.p99Ms) ? '-' : run.p99Ms <= firstActionTarget.maxP99Ms ? 'met' : 'MISSED',
    fixed(run.ackP50Ms, 2),
    fixed(run.ackP99Ms, 2),
    String(run.missing),
  ]);
  return [
    `Time from webhook receipt to the first Kubernetes request: heal engine on, policy step k8s.restart, one alert every 50 ms for a fresh Deployment (${grouped(deployments)} Deployments in ml-prod on the simulator); background: 10-alert deliveries, none matching, most re-delivered`,
    renderTable(
      [
        'background',
        'alerts/s achieved',
        'background non-202',
        'heals opened',
        'p50 ms',
        'p99 ms',
        'max ms',
        `p99 <= ${firstActionTarget.maxP99Ms} ms`,
        '202 p50 ms',
        '202 p99 ms',
        'no request',
      ],
      rows,
    ),
  ].join('\n');
}
