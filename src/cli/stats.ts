import { systemClock } from '../clock.js';
import { loadConfig, type ParsedCommandLine } from '../config/load.js';
import { percentText, windowText } from '../domain/autonomy.js';
import { formatDuration } from '../domain/duration.js';
import type { Percentiles } from '../domain/effectiveness.js';
import { effectivenessReport, parseWindow, type StatsReport } from '../service/stats.js';
import { withReadStore } from './read-store.js';
import { textTable } from './table.js';

const seconds = (s: number | null) => (s === null ? '-' : formatDuration(Math.round(s) * 1000));
const ttr = (p: Percentiles) => [seconds(p.median), seconds(p.p90)];
const counts = (m: Record<string, number | undefined>) =>
  Object.entries(m)
    .filter(([, n]) => n)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || '-';

/** The report as people read it: one row per policy step, then the most-healed targets. */
export function statsText(r: StatsReport): string {
  const windowMs = new Date(r.until).getTime() - new Date(r.since).getTime();
  let text = `heal effectiveness over ${windowText(windowMs)} (${r.since} .. ${r.until}): ${r.heals} heal(s)\n\n`;
  if (r.policies.length === 0) return `${text}no heal opened in this window\n`;
  const rows = r.policies.flatMap((p) =>
    p.steps.map((s) => [
      p.policy,
      String(s.step),
      s.action,
      String(s.attempts),
      String(s.outcomes.resolved),
      String(s.outcomes.next_step),
      String(s.outcomes.escalated),
      String(s.outcomes.failed),
      String(s.outcomes.open),
      s.successRate === null ? '-' : percentText(s.successRate),
      ...ttr(s.timeToResolve),
      counts(s.refusals),
      s.dryRun.attempts ? `${s.dryRun.attempts} (${s.dryRun.wouldResolve} would resolve)` : '-',
    ]),
  );
  text += textTable(
    [
      'POLICY',
      'STEP',
      'ACTION',
      'ATTEMPTS',
      'RESOLVED',
      'NEXT',
      'ESCALATED',
      'FAILED',
      'OPEN',
      'SUCCESS',
      'TTR P50',
      'TTR P90',
      'REFUSED',
      'DRY RUN',
    ],
    rows,
    new Set([1, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
  );
  text += '\n';
  text += textTable(
    ['POLICY', 'HEALS', 'TTR P50', 'TTR P90', 'APPROVED', 'REJECTED', 'EXPIRED', 'DRY-RUN HEALS'],
    r.policies.map((p) => [
      p.policy,
      String(p.heals),
      ...ttr(p.timeToResolve),
      String(p.approvals.approved),
      String(p.approvals.rejected),
      String(p.approvals.expired),
      String(p.dryRunHeals),
    ]),
    new Set([1, 2, 3, 4, 5, 6, 7]),
  );
  if (r.targets.length > 0) {
    text += '\nmost-healed targets (healed again and again: a finding, not a success)\n';
    text += textTable(
      ['TARGET', 'HEALS', 'RESOLVED', 'ESCALATED', 'POLICIES', 'LAST OPENED'],
      r.targets.map((t) => [
        t.target,
        String(t.heals),
        String(t.resolved),
        String(t.escalated),
        t.policies.join(','),
        t.lastOpenedAt,
      ]),
      new Set([1, 2, 3]),
    );
  }
  return text;
}

/** `salve stats [--since 30d] [--json]`: reads the store named by the configuration. */
export async function stats(cmd: ParsedCommandLine, env: NodeJS.ProcessEnv, out: NodeJS.WritableStream) {
  const config = loadConfig(env, cmd.raw);
  const windowMs = parseWindow((cmd.extra.since as string | undefined) ?? '30d', '--since');
  const clock = systemClock();
  const report = await withReadStore(config, clock, (store) =>
    effectivenessReport({ store, clock }, windowMs),
  );
  out.write(cmd.extra.json ? `${JSON.stringify(report, null, 2)}\n` : statsText(report));
  return 0;
}
