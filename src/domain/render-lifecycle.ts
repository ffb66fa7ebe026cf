// docs/heal-lifecycle.md and the state table of docs/architecture.md, written from the machine's table.

import { healStages, openStages, phaseOf } from './heal.js';
import { healMachine, type Move } from './heal-machine.js';

type Row = { from: string; event: string; to: string; move: Move<never> };

function rows(): Row[] {
  return openStages.flatMap((from) =>
    Object.entries(healMachine[from] as Record<string, Move<never>>).flatMap(([event, move]) => [
      { from, event, to: move.to, move },
      ...(move.endsDryRun ? [{ from, event: `${event} (dry run)`, to: 'dry_run', move }] : []),
    ]),
  );
}

const code = (s: string) => `\`${s}\``;

function auditOf(row: Row): string {
  const kinds = row.move.audit.map((k) =>
    row.to === 'dry_run' && (k === 'heal.resolved' || k === 'heal.escalated') ? 'heal.dry_run_finished' : k,
  );
  return [...(row.move.guards ? ['guard.passed × each guard that passed'] : []), ...kinds]
    .map(code)
    .join(', ');
}

function notifyOf(row: Row): string {
  const kinds = row.move.notify.map((k) =>
    row.to === 'dry_run' && (k === 'heal.resolved' || k === 'heal.escalated') ? 'heal.dry_run' : k,
  );
  return kinds.length === 0 ? '—' : kinds.map(code).join(', ');
}

/** A Mermaid state diagram: every move of the table, each labelled with its event. */
export function renderLifecycleDiagram(): string {
  const lines = ['```mermaid', 'stateDiagram-v2', '  [*] --> guards : opened'];
  for (const r of rows()) lines.push(`  ${r.from} --> ${r.to} : ${r.event}`);
  for (const stage of Object.keys(healStages)) {
    if (phaseOf(stage as keyof typeof healStages) === 'done') lines.push(`  ${stage} --> [*]`);
  }
  lines.push('```');
  return lines.join('\n');
}

/** Each stage: the state the API shows, and what the engine does there. */
export function renderStageTable(): string {
  const lines = ['| stage | state (API) | phase (API) | what the engine does |', '|---|---|---|---|'];
  for (const [stage, { state, does }] of Object.entries(healStages)) {
    lines.push(
      `| ${code(stage)} | ${code(state)} | ${code(phaseOf(stage as keyof typeof healStages))} | ${does} |`,
    );
  }
  return lines.join('\n');
}

/** Every legal move: from, event, to, what it records and whom it tells. */
export function renderMoveTable(): string {
  const lines = ['| from | event | to | audit records | notifications |', '|---|---|---|---|---|'];
  for (const r of rows()) {
    lines.push(`| ${code(r.from)} | ${code(r.event)} | ${code(r.to)} | ${auditOf(r)} | ${notifyOf(r)} |`);
  }
  return lines.join('\n');
}

export function renderHealLifecycle(): string {
  return [renderLifecycleDiagram(), renderStageTable(), renderMoveTable()].join('\n\n');
}
