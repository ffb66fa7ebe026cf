import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { slackMessage } from '../../src/notify/slack/messages.js';
import { servingPolicy } from '../support/build-test-app.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { runCli } from '../support/run-cli.js';

// One numbering of steps, from 1 as the policy lists them, on every surface people read: the API (heal and
// timeline), Kubernetes Events, Slack and webhook notifications, the CLI, the logs and the docs.

const MIN = 60_000;

describe('steps are numbered from 1 on every surface', () => {
  let h: EngineHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('API, audit log, Events, notifications, CLI and logs agree: restart is step 1, rollback step 2', async () => {
    h = await startEngineHarness({
      policies: { 'p.yaml': `${servingPolicy}    notify: [slack]\n` },
      env: { SALVE_SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/hook' },
    });
    const { opened } = await h.fire('fraud-scorer');
    const id = opened[0]!;
    await h.run();
    await h.advance(2_000);
    await h.advance(10 * MIN); // step 1 did not help: step 2
    await h.advance(2_000);

    // The API: the heal is at step 2 of 2; its timeline numbers the same way.
    const res = await h.app.inject({ url: `/v1/heals/${id}`, headers: h.auth('viewer') });
    const body = res.json();
    expect(body.heal.step).toBe(2);
    const finished = body.timeline.filter((r: { type: string }) => r.type === 'action.finished');
    expect(
      finished.map((r: { data: { step: number; action: string } }) => [r.data.step, r.data.action]),
    ).toEqual([
      [1, 'k8s.restart'],
      [2, 'k8s.rollback'],
    ]);
    const next = body.timeline.find((r: { type: string }) => r.type === 'heal.next_step');
    expect(next.data).toMatchObject({ from: { step: 1 }, to: { step: 2 } });
    const list = (await h.app.inject({ url: '/v1/heals', headers: h.auth('viewer') })).json();
    expect(list.heals[0].step).toBe(2);

    // Kubernetes Events on the Deployment, and the marks on it.
    const notes = h.sim.objects
      .list('events.k8s.io/v1', 'Event', 'ml-prod')
      .map((e) => String(e.note))
      .sort();
    expect(notes.some((n) => n.includes(`salve heal ${id} (policy scorer-error-rate, step 1)`))).toBe(true);
    expect(notes.some((n) => n.includes(`salve heal ${id} (policy scorer-error-rate, step 2)`))).toBe(true);
    const deployment = h.sim.objects.get('apps/v1', 'Deployment', 'ml-prod', 'fraud-scorer')!;
    expect(deployment.metadata.annotations?.['salve.dev/rollback-for']).toBe(`${id}/2`);

    // Notifications: the webhook event's number and Slack's "Step N of 2".
    const now = h.clock.now().toISOString();
    const queued = await h.deps.store.claimOutbox({ now, owner: 'test', leaseUntil: now, limit: 50 });
    const results = queued.filter((q) => q.event.kind === 'step.result').map((q) => q.event);
    expect(results.map((e) => e.step?.number)).toEqual([1, 2]);
    expect(results.map((e) => slackMessage(e, 'slack').text)).toEqual([
      expect.stringMatching(/^Step 1 of 2 \(k8s\.restart\) changed /),
      expect.stringMatching(/^Step 2 of 2 \(k8s\.rollback\) changed /),
    ]);

    // The logs.
    const logged = h.logs.lines().filter((l) => l.msg === 'step finished');
    expect(logged.map((l) => l.step)).toEqual([1, 2]);

    // The CLI reads the same store.
    const cli = await runCli(['audit'], { SALVE_DATA_DIR: h.dir, SALVE_POLICIES: h.policiesDir });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/action\.finished .* step=1 outcome=changed/);
    expect(cli.stdout).toMatch(/action\.finished .* step=2 outcome=changed/);
  });

  it('the docs show steps from 1: the notification examples and the README fallbacks', () => {
    const notifications = fs.readFileSync('docs/notifications.md', 'utf8');
    expect(notifications).toContain(
      "`step.number` and\n`escalation.tried[].step` say `1` for the policy's first step",
    );
    expect(notifications).toContain('Step 1 of 2 (k8s.restart) changed');
    expect(notifications).toContain('*Tried:* 1. `k8s.restart`, 2. `k8s.rollback`');
    const readme = fs.readFileSync('README.md', 'utf8');
    expect(readme).toContain('Step 1 of 2 (k8s.restart)');
    expect(readme).toContain('numbered from 1');
  });
});
