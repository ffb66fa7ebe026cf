import type { Heal } from '../../src/http/api-types.js';
import type { SalveApi, TimelineRecord } from '../../test/e2e/support/closed-loop.js';
import type { Snapshot } from './cluster-view.js';
import { describeRecord, guardSummary, type Story, trail } from './story.js';

export type HealFollower = {
  /** Tells every new audit record of the heal and every change at the cluster until `done` holds. */
  until(what: string, done: (heal: Heal) => boolean, timeoutMs?: number): Promise<Heal>;
  trail(): string;
};

/** Follows the one heal the alert opens, through salve's API (as an operator would) and the simulator. */
export function followHeal(opts: {
  api: SalveApi;
  story: Story;
  cluster: { poll(): Snapshot };
  firedAt: number;
}): HealFollower {
  const { api, story, cluster } = opts;
  let healId: string | null = null;
  let timeline: TimelineRecord[] = [];
  let told = 0;
  let guardsTold = false;

  function tell(records: TimelineRecord[]) {
    for (const r of records.slice(told)) {
      if (r.type === 'heal.opened') {
        const ms = Math.round(story.elapsed() - opts.firedAt);
        story.say(
          'heal',
          `opened ${r.healId} (policy ${r.policy}, ${r.target}) ~${ms} ms after the alert fired`,
        );
        continue;
      }
      if (r.type !== 'guard.passed' && !guardsTold) {
        const summary = guardSummary(records);
        if (summary) story.say('guards', summary);
        guardsTold = true;
      }
      const line = describeRecord(r);
      if (line) story.say(line.who, line.text);
    }
    told = records.length;
  }

  return {
    async until(what, done, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (healId === null) healId = (await api.heals()).at(-1)?.id ?? null;
        if (healId !== null) {
          const { heal, timeline: records } = await api.heal(healId);
          timeline = records;
          tell(records);
          cluster.poll();
          if (done(heal)) return heal;
        } else cluster.poll();
        if (Date.now() > deadline)
          throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    trail: () => trail(timeline),
  };
}
