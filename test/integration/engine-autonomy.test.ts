import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { atMinute as at } from '../support/fake-clock.js';
import { startFakeSlack } from '../support/fake-slack.js';
import { payload } from '../support/fixtures.js';
import { runCli } from '../support/run-cli.js';

const MIN = 60_000;

/** One restart; it acts alone once 2 of its ended heals in 30 days resolved 60 % of the time or more. */
const earning = `apiVersion: salve/v1
policies:
  - name: scorer-errors
    match: [alertname="ModelServingErrorRate"]
    target: { kind: Deployment, namespace: "{{ labels.namespace }}", name: "{{ labels.deployment }}" }
    allow: { namespaces: [ml-prod] }
    steps:
      - action: k8s.restart
        verify: { resolved: 5m }
    guards:
      cooldown: 0s
      maxPerTarget: "20/1h"
      autonomy: { minSuccessRate: 0.6, minSamples: 2, window: 30d }
`;

describe('guards.autonomy: a policy earns acting alone, and loses it', () => {
  let h: EngineHarness;
  afterEach(async () => {
    await h?.close();
  });

  async function approve(id: string): Promise<void> {
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/heals/${id}/approve`,
      headers: h.auth('operator'),
    });
    expect(res.statusCode).toBe(200);
    await h.run();
  }

  /** An alert on fraud-scorer; `heals`: it resolves 30 s after acting, else it fires past the deadline. */
  async function alert(minute: number, opts: { approve?: boolean; heals: boolean }): Promise<string> {
    await h.advance(60_000);
    const { opened } = await h.fire('fraud-scorer', { startsAt: at(minute) });
    await h.run();
    const id = opened[0]!;
    if (opts.approve) await approve(id);
    await h.advance(30_000);
    if (opts.heals) await h.resolve('fraud-scorer', { startsAt: at(minute) });
    else await h.advance(5 * MIN);
    await h.run();
    return id;
  }

  const waiting = async (id: string) => {
    const heal = await h.heal(id);
    expect(heal.state).toBe('awaiting_approval');
    return heal.reason;
  };

  it('waits for approval until approved heals resolved enough, acts alone, and waits again after failures', async () => {
    h = await startEngineHarness({ policies: { 'p.yaml': earning } });

    // No record yet: the first heal waits, and says why in numbers, in the API and the audit log.
    const { opened } = await h.fire('fraud-scorer', { startsAt: at(0) });
    await h.run();
    const first = opened[0]!;
    expect(await waiting(first)).toBe(
      'k8s.restart has no ended heal in 30 days; needs 60 % over at least 2: waits for approval',
    );
    expect(h.patches()).toHaveLength(0);
    const detail = (await h.app.inject({ url: `/v1/heals/${first}`, headers: h.auth('viewer') })).json();
    expect(detail.heal.reason).toMatch(/^k8s\.restart has no ended heal/);
    const request = detail.timeline.find((r: { type: string }) => r.type === 'approval.requested');
    expect(request).toMatchObject({ outcome: 'await_approval', data: { guard: 'autonomy' } });
    await approve(first);
    const passed = (await h.timeline(first)).filter((r) => r.type === 'guard.passed').at(-1);
    expect(passed?.data).toMatchObject({
      guard: 'autonomy',
      detail: expect.stringMatching(/^approved by token:operator: /),
    });
    await h.advance(30_000);
    await h.resolve('fraud-scorer', { startsAt: at(0) });
    await h.run();
    expect((await h.heal(first)).state).toBe('resolved');

    // One approved, resolved heal: 1 of 1 is not yet 2 samples.
    await h.advance(60_000);
    const { opened: second } = await h.fire('fraud-scorer', { startsAt: at(10) });
    await h.run();
    expect(await waiting(second[0]!)).toBe(
      'k8s.restart resolved 1 of 1 (100 %) in 30 days; needs 60 % over at least 2: waits for approval',
    );
    await approve(second[0]!);
    await h.advance(30_000);
    await h.resolve('fraud-scorer', { startsAt: at(10) });
    await h.run();

    // Earned through supervised use: acts alone, and the guard's record says on what evidence.
    const alone = await alert(20, { heals: false });
    expect((await h.heal(alone)).approvedBy).toBeNull();
    const autonomy = (await h.timeline(alone)).find(
      (r) => r.type === 'guard.passed' && r.data.guard === 'autonomy',
    );
    expect(autonomy?.data.detail).toBe(
      'k8s.restart resolved 2 of 2 (100 %) in 30 days; needs 60 % over at least 2: acts alone',
    );
    expect((await h.heal(alone)).state).toBe('escalated');

    // 2 of 3 (66.6 %) still acts alone; a second failure brings it to 2 of 4 (50 %): a human decides again.
    const stillAlone = await alert(30, { heals: false });
    expect((await h.heal(stillAlone)).approvedBy).toBeNull();
    expect((await h.heal(stillAlone)).state).toBe('escalated');
    await h.advance(60_000);
    const { opened: lost } = await h.fire('fraud-scorer', { startsAt: at(40) });
    await h.run();
    expect(await waiting(lost[0]!)).toBe(
      'k8s.restart resolved 2 of 4 (50 %) in 30 days; needs 60 % over at least 2: waits for approval',
    );
    expect(h.patches()).toHaveLength(4);

    // What would happen now, with the record the store holds; `salve test` without a store gives the bound.
    const alertPayload = payload([
      { labels: { alertname: 'ModelServingErrorRate', namespace: 'ml-prod', deployment: 'other-scorer' } },
    ]);
    const explained = await h.app.inject({
      method: 'POST',
      url: '/v1/policies/test',
      headers: h.auth('viewer'),
      payload: alertPayload,
    });
    expect(explained.json().alerts[0].outcomes[0].guards.autonomy).toBe(
      'k8s.restart resolved 2 of 4 (50 %) in 30 days; needs 60 % over at least 2: waits for approval',
    );
    const file = path.join(h.dir, 'alert.json');
    fs.writeFileSync(file, JSON.stringify(alertPayload));
    const cli = await runCli(['test', '--policies', h.policiesDir, file]);
    expect(cli.stdout).toContain(
      '    autonomy: k8s.restart needs 60 % over at least 2 in 30 days to act alone',
    );
  });

  it("Slack's approval request says why a human decides, in numbers", async () => {
    const slack = await startFakeSlack();
    try {
      const withSlack = `${earning}    notify: [slack]\n`;
      h = await startEngineHarness({
        policies: { 'p.yaml': withSlack },
        env: { SALVE_SLACK_WEBHOOK_URL: slack.webhookUrl, SALVE_SLACK_SIGNING_SECRET: 'a-signing-secret' },
      });
      await h.fire('fraud-scorer', { startsAt: at(0) });
      await h.run();
      await h.deps.dispatcher.drain();
      const text = JSON.stringify(slack.posts().map((p) => p.body));
      expect(text).toContain(
        '*Why a human decides:* k8s.restart has no ended heal in 30 days; needs 60 % over at least 2: waits for approval',
      );
    } finally {
      await slack.close();
    }
  });
});
