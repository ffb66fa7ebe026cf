import { afterEach, describe, expect, it } from 'vitest';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';

const names = Array.from({ length: 20 }, (_, i) => `scorer-${String(i).padStart(2, '0')}`);

describe('counted limits hold exactly while heals advance at once (SQLite, one replica)', () => {
  let h: EngineHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('ceiling 5, twenty targets firing at once: exactly five actions, fifteen refused and audited', async () => {
    h = await startEngineHarness({
      deployments: names,
      env: { SALVE_MAX_ACTIONS_PER_HOUR: '5' },
      overrides: { engine: { concurrency: 20 } },
    });
    const opened = (await Promise.all(names.map((n) => h.fire(n)))).flatMap((r) => r.opened);
    expect(opened).toHaveLength(20);
    await h.run();

    const restarts = h.patches().filter((p) => p.method === 'PATCH');
    expect(restarts).toHaveLength(5);
    const heals = await Promise.all(opened.map((id) => h.heal(id)));
    const acted = heals.filter((x) => x.state !== 'escalated');
    const refused = heals.filter((x) => x.state === 'escalated');
    expect(acted).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const heal of refused) {
      expect(heal.reason).toBe('global_rate_limit');
      const timeline = await h.timeline(heal.id);
      expect(timeline.map((r) => `${r.type}:${r.outcome}`)).toEqual(
        expect.arrayContaining(['guard.refused:global_rate_limit', 'heal.escalated:escalated']),
      );
      expect(timeline.some((r) => r.type === 'action.started')).toBe(false);
    }
    expect(await h.deps.store.countActions({ since: '2000-01-01T00:00:00.000Z', excludeDryRun: true })).toBe(
      5,
    );
    expect(await h.deps.store.verifyAudit()).toMatchObject({ ok: true });
  });
});
