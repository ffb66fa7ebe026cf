import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createActionRegistry } from '../actions/registry.js';
import { systemClock } from '../clock.js';
import { loadConfig, type ParsedCommandLine } from '../config/load.js';
import { defaultEngineSettings } from '../engine/context.js';
import { SalveError } from '../errors.js';
import { candidateFromDir } from '../service/replay/candidate.js';
import { type ReplayReport, replayPolicies } from '../service/replay/replay.js';
import { linesHistory } from '../service/replay/sources.js';
import type { ReplayHeal } from '../service/replay/tally.js';
import { parseWindow } from '../service/stats.js';
import { withReadStore } from './read-store.js';
import { textTable } from './table.js';

const listed = 30;
const counts = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';
const ended = (h: ReplayHeal) => (h.reason && h.reason !== h.state ? `${h.state} (${h.reason})` : h.state);
const actionsText = (h: ReplayHeal) =>
  h.actions.map((a) => `${a.step}:${a.action}${a.dryRun ? ' (dry run)' : ''}`).join(', ') || '-';

function healRows(heals: readonly ReplayHeal[]): string {
  return textTable(
    ['OPENED', 'POLICY', 'TARGET', 'ACTIONS', 'END'],
    heals.slice(0, listed).map((h) => [h.openedAt, h.policy, h.target, actionsText(h), ended(h)]),
  );
}

/** The report as people read it. */
export function replayText(r: ReplayReport, policiesDir: string): string {
  const base = r.baseline.kind === 'recorded' ? 'the recorded history' : 'the table in force';
  let text = `replay of ${r.alerts} alert(s) in ${r.deliveries} deliveries (${r.window.since} .. ${r.window.until}) through ${policiesDir}\n`;
  text += `would open ${r.healsOpened} heal(s) and take ${r.actions} action(s)`;
  text += r.dryRunActions ? ` (and ${r.dryRunActions} dry-run step(s))` : '';
  text += `; ${base}: ${r.baseline.heals} heal(s), ${r.baseline.actions} action(s)\n\n`;
  if (r.heals.length > 0) {
    text += `heals${r.healsOpened > listed ? ` (the first ${listed} of ${r.healsOpened}; --json lists them all)` : ''}\n`;
    text += `${healRows(r.heals)}\n`;
  }
  if (r.steps.length > 0) {
    text += 'actions per step\n';
    text += textTable(
      ['POLICY', 'STEP', 'ACTION', 'ACTIONS', 'DRY RUN'],
      r.steps.map((s) => [s.policy, String(s.step), s.action, String(s.actions), String(s.dryRun)]),
      new Set([1, 3, 4]),
    );
    text += '\n';
  }
  text += `refused by guard: ${counts(r.refusals)} (reasons: ${counts(r.refusalReasons)})\n`;
  text += `would wait for approval: ${counts(r.approvals)}${r.pages ? ` (${r.pages} would page)` : ''}\n`;
  text += `loop breaker would stop: ${r.loopBreaker.map((b) => `${b.target} (${b.refusals})`).join(', ') || 'no target'}\n`;
  if (Object.keys(r.matchRefusals).length > 0)
    text += `alerts no policy could act on: ${counts(r.matchRefusals)}\n`;
  if (r.unresolved.alerts > 0) {
    text += `unresolved without a cluster: ${r.unresolved.alerts} alert(s) (${counts(r.unresolved.policies)}), `;
    text += `no owner chain recorded for ${r.unresolved.examples.join(', ')}\n`;
  }
  const d = r.difference;
  if (d) {
    text += `\ndifference from ${base}\n`;
    text += textTable(
      ['POLICY', 'HEALS BEFORE', 'HEALS REPLAY', 'ACTIONS BEFORE', 'ACTIONS REPLAY'],
      d.policies.map((p) => [
        p.policy,
        String(p.baseline.heals),
        String(p.replay.heals),
        String(p.baseline.actions),
        String(p.replay.actions),
      ]),
      new Set([1, 2, 3, 4]),
    );
    if (d.counts.onlyInReplay > 0)
      text += `\nonly in the replay (${d.counts.onlyInReplay})\n${healRows(d.onlyInReplay)}`;
    if (d.counts.onlyInBaseline > 0)
      text += `\nonly in ${base} (${d.counts.onlyInBaseline})\n${healRows(d.onlyInBaseline)}`;
    if (d.counts.changed > 0) {
      text += `\nopened by both, ending otherwise (${d.counts.changed})\n`;
      text += textTable(
        ['OPENED', 'POLICY', 'TARGET', 'BEFORE', 'REPLAY'],
        d.changed
          .slice(0, listed)
          .map((c) => [
            c.replay.openedAt,
            c.replay.policy,
            c.replay.target,
            `${actionsText(c.baseline)} -> ${c.baseline.state}`,
            `${actionsText(c.replay)} -> ${c.replay.state}`,
          ]),
      );
    }
    if (d.counts.onlyInReplay + d.counts.onlyInBaseline + d.counts.changed === 0)
      text += 'the same heals and actions\n';
  }
  text += `\nassumed: ${r.assumptions.join('; ')}\n`;
  return text;
}

/** `salve replay --policies DIR [--since 7d | --from FILE] [--json]`: reads the configured store, writes nothing. */
export async function replay(cmd: ParsedCommandLine, env: NodeJS.ProcessEnv, out: NodeJS.WritableStream) {
  const config = loadConfig(env, cmd.raw);
  const candidateDir = cmd.raw.policies as string | undefined;
  if (!candidateDir)
    throw new SalveError(
      'SALVE_REQUEST_INVALID',
      'usage: salve replay --policies DIR [--since 7d | --from FILE] [--json]',
    );
  const from = cmd.extra.from as string | undefined;
  const since = cmd.extra.since as string | undefined;
  if (from !== undefined && since !== undefined)
    throw new SalveError('SALVE_REQUEST_INVALID', 'give --since or --from, not both');
  const registry = createActionRegistry();
  const clock = systemClock();
  const table = await candidateFromDir(candidateDir, 'the candidate policies in', { registry, clock });
  // The table in force is the one salve is configured with (SALVE_POLICIES), whatever --policies says.
  const current = await candidateFromDir(loadConfig(env).policies, 'the policies in force in', {
    registry,
    clock,
  });
  const settings = {
    ...defaultEngineSettings,
    maxActionsPerHour: config.maxActionsPerHour,
    approvalTimeoutMs: config.approvalTimeout,
    dryRun: config.dryRun,
  };
  const source = from
    ? {
        kind: 'file' as const,
        deliveries: linesHistory(
          createInterface({ input: createReadStream(from), crlfDelay: Number.POSITIVE_INFINITY }),
          from,
        ),
      }
    : { kind: 'store' as const, sinceMs: parseWindow(since ?? '7d', '--since') };
  const report = await withReadStore(config, clock, (store) =>
    replayPolicies({ registry, clock, settings, store }, { table, current, source }),
  );
  out.write(cmd.extra.json ? `${JSON.stringify(report, null, 2)}\n` : replayText(report, candidateDir));
  return 0;
}
