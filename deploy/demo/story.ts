import type { TimelineRecord } from '../../test/e2e/support/closed-loop.js';

export type Story = {
  /** One line: time since the demo started, who speaks, what happened. */
  say(who: string, text: string): void;
  elapsed(): number;
};

export function createStory(out: NodeJS.WritableStream, now: () => number = () => performance.now()): Story {
  const t0 = now();
  return {
    say(who, text) {
      const seconds = ((now() - t0) / 1000).toFixed(2).padStart(6);
      out.write(`[${seconds}s] ${who.padEnd(9)} ${text}\n`);
    },
    elapsed: () => now() - t0,
  };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * What one audit record of the heal means, in a sentence; null for records folded into others (each guard that
 * passed is told once, all together, by `guardSummary`).
 */
export function describeRecord(r: TimelineRecord): { who: string; text: string } | null {
  const d = r.data;
  switch (r.type) {
    case 'guard.passed':
      return null;
    case 'guard.refused':
    case 'guard.held':
      return { who: 'guards', text: `${r.type.split('.')[1]} by ${str(d.guard)}: ${str(d.detail)}` };
    case 'action.started':
      return {
        who: 'action',
        text: `${str(d.action)} started (step ${Number(d.step) + 1}, attempt ${Number(d.attempt) + 1})`,
      };
    case 'action.finished':
      return {
        who: 'action',
        text: `${str(d.action)} ${r.outcome}: ${str(d.detail)} (${str(d.durationMs)} ms)`,
      };
    case 'action.retry':
    case 'action.failed':
      return { who: 'action', text: `${r.type}: ${str(d.code)} ${str(d.message)}` };
    case 'verify.rollout':
      return { who: 'verify', text: `rollout ${r.outcome}: ${str(d.detail)}` };
    case 'heal.alert_resolved':
      return { who: 'alert', text: `salve received the resolved notification (actor ${r.actor})` };
    case 'verify.resolved':
      return { who: 'verify', text: `alerts ${r.outcome} (source: ${str(d.source ?? d.stillFiring)})` };
    case 'heal.resolved':
      return {
        who: 'heal',
        text: `resolved: time to resolve ${Number(d.timeToResolveSeconds).toFixed(1)} s`,
      };
    case 'heal.next_step':
    case 'heal.escalated':
    case 'heal.failed':
    case 'heal.refused':
    case 'heal.cancelled':
      return { who: 'heal', text: `${r.type.split('.')[1]} (${r.outcome}): ${str(d.why ?? d.reason ?? d)}` };
    default:
      return { who: 'audit', text: `${r.type} ${r.outcome ?? ''}`.trim() };
  }
}

/** "passed: paused, allowed, cooldown, rate_limit, approval" once every guard has spoken. */
export function guardSummary(timeline: readonly TimelineRecord[]): string | null {
  const passed = timeline.filter((r) => r.type === 'guard.passed').map((r) => str(r.data.guard));
  return passed.length === 0 ? null : `passed, in order: ${passed.join(' → ')}`;
}

/** heal.opened → guard.passed ×5 → action.started → …, runs of one type folded. */
export function trail(timeline: readonly TimelineRecord[]): string {
  const runs: Array<{ type: string; n: number }> = [];
  for (const r of timeline) {
    const last = runs.at(-1);
    if (last?.type === r.type) last.n += 1;
    else runs.push({ type: r.type, n: 1 });
  }
  return runs.map((x) => (x.n > 1 ? `${x.type} ×${x.n}` : x.type)).join(' → ');
}
