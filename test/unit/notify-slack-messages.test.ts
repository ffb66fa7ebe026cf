import { describe, expect, it } from 'vitest';
import type { NotificationEvent } from '../../src/domain/notification.js';
import { exampleEvents } from '../../src/notify/examples.js';
import type { Block } from '../../src/notify/slack/blocks.js';
import { humanDuration } from '../../src/notify/slack/format.js';
import { slackMessage } from '../../src/notify/slack/messages.js';

const example = (title: string): NotificationEvent => {
  const found = exampleEvents.find((e) => e.title === title);
  if (!found) throw new Error(`no example ${title}`);
  return structuredClone(found.event);
};
const textOf = (block: Block | undefined): string => {
  if (!block) return '';
  if (block.type === 'section') return block.text.text;
  if (block.type === 'context') return block.elements.map((e) => e.text).join(' ');
  return '';
};
const byId = (blocks: Block[], id: string) => blocks.find((b) => 'block_id' in b && b.block_id === id);

describe('Slack messages', () => {
  it('every kind tells its story with the heal id and target in a context block, and links out', () => {
    for (const { event } of exampleEvents) {
      const { text, blocks } = slackMessage(event, 'slack');
      expect(blocks[0]).toMatchObject({ type: 'section', block_id: 'salve_headline' });
      const story = textOf(byId(blocks, 'salve_story'));
      expect(story).toContain('`heal_01kb2m3n4p5q6r7s8t9v0w1x2y`');
      expect(story).toContain('Deployment ml-prod/fraud-scorer');
      expect(story).toContain('policy `scorer-error-rate`');
      const links = textOf(byId(blocks, 'salve_links'));
      expect(links).toContain('<http://prometheus.example:9090/graph?g0.expr=model_errors|alert source>');
      expect(links).toContain('<http://alertmanager.example:9093/|Alertmanager>');
      expect(links).toContain(
        '<https://salve.example/v1/heals/heal_01kb2m3n4p5q6r7s8t9v0w1x2y|heal in salve>',
      );
      expect(text).toContain('Deployment ml-prod/fraud-scorer');
      expect(text).toContain('(heal heal_01kb2m3n4p5q6r7s8t9v0w1x2y)');
      for (const block of blocks) {
        if (block.type === 'section') expect(block.text.text.length).toBeLessThanOrEqual(3000);
      }
    }
  });

  it('heal opened names the alert, its severity and summary, and the plan', () => {
    const { text, blocks } = slackMessage(example('Heal opened'), 'slack');
    expect(textOf(blocks[0])).toBe(':adhesive_bandage: *salve is healing* `Deployment ml-prod/fraud-scorer`');
    expect(textOf(byId(blocks, 'salve_details'))).toBe(
      '*Alert:* ModelServingErrorRate · critical\n*Summary:* fraud-scorer answers 5xx to 7.2% of requests\n' +
        '*Plan:* 1. `k8s.restart` → 2. `k8s.rollback`',
    );
    expect(text).toMatch(
      /^salve is healing Deployment ml-prod\/fraud-scorer: ModelServingErrorRate \(critical\)/,
    );
  });

  it('step results say changed, unchanged or failed, with the detail', () => {
    const changed = slackMessage(example('Step result: changed'), 'slack');
    expect(textOf(changed.blocks[0])).toBe(
      ':white_check_mark: *Step 1 of 2* `k8s.restart` *changed* `Deployment ml-prod/fraud-scorer`',
    );
    expect(textOf(byId(changed.blocks, 'salve_details'))).toBe('restarted Deployment ml-prod/fraud-scorer');
    const unchanged = slackMessage(example('Step result: unchanged'), 'slack');
    expect(textOf(unchanged.blocks[0])).toContain(':ballot_box_with_check: *Step 2 of 2* `k8s.rollback`');
    expect(textOf(unchanged.blocks[0])).toContain('*found nothing to change on*');
    const failed = slackMessage(example('Step result: failed'), 'slack');
    expect(textOf(failed.blocks[0])).toContain(':x: *Step 1 of 2* `k8s.restart` *failed on*');
    expect(failed.text).toContain('SALVE_KUBE_FORBIDDEN');
  });

  it('a dry run says what salve would have done and that nothing changed', () => {
    const { text, blocks } = slackMessage(example('Dry run'), 'slack');
    expect(textOf(blocks[0])).toBe(':test_tube: *Dry run, step 1 of 2* `k8s.restart`: nothing was changed');
    expect(textOf(byId(blocks, 'salve_details'))).toMatch(
      /^\*Would have:\* restart Deployment ml-prod\/fraud-scorer/,
    );
    expect(textOf(byId(blocks, 'salve_story'))).toContain('*dry run*');
    expect(text).toMatch(/^Dry run, step 1 of 2 \(k8s\.restart\) would have: restart Deployment/);
  });

  it('resolved gives the time to resolve in words a person reads', () => {
    const { text, blocks } = slackMessage(example('Resolved'), 'slack');
    expect(textOf(blocks[0])).toBe(
      ':large_green_circle: *Resolved* `Deployment ml-prod/fraud-scorer` in *4m 12s*',
    );
    expect(text).toMatch(/^Resolved Deployment ml-prod\/fraud-scorer in 4m 12s/);
    expect([59, 60, 252, 3600, 3723, 90061].map(humanDuration)).toEqual([
      '59s',
      '1m',
      '4m 12s',
      '1h',
      '1h 2m',
      '1d 1h',
    ]);
  });

  it('escalated says a human is needed, why, and what was tried — or that a guard refused to try', () => {
    const { text, blocks } = slackMessage(example('Escalated'), 'slack');
    expect(textOf(blocks[0])).toContain(':rotating_light: *Needs a human:*');
    expect(textOf(byId(blocks, 'salve_details'))).toContain('*Tried:* 1. `k8s.restart`, 2. `k8s.rollback`');
    expect(text).toContain('Tried: k8s.restart, k8s.rollback');
    const breaker = example('Escalated');
    breaker.escalation = { why: 'loop_breaker: acted on 3 times', tried: [] };
    breaker.refusal = { guard: 'rate_limit', reason: 'loop_breaker', detail: 'acted on 3 times' };
    expect(textOf(byId(slackMessage(breaker, 'slack').blocks, 'salve_details'))).toContain(
      '*Tried:* nothing: refused by the heal-loop breaker guard',
    );
  });

  it('refused names the guard and its detail', () => {
    const { blocks } = slackMessage(example('Refused by a guard'), 'slack');
    expect(textOf(blocks[0])).toBe(
      ':no_entry: *Refused* to act on `Deployment ml-prod/fraud-scorer`: *cooling down*',
    );
    expect(textOf(byId(blocks, 'salve_details'))).toContain(
      '*Guard:* `cooldown` · policy scorer-error-rate acted on',
    );
    const notAllowed = example('Refused by a guard');
    notAllowed.refusal = {
      guard: 'allowed',
      reason: 'not_allowed',
      detail: 'namespace kube-system is outside allow',
    };
    expect(textOf(slackMessage(notAllowed, 'slack').blocks[0])).toContain('*target not allowed*');
  });

  it('an approval request carries Approve and Reject buttons whose value is the heal id', () => {
    const { blocks } = slackMessage(example('Approval requested'), 'slack-ml-oncall');
    const actions = blocks.find((b) => b.type === 'actions');
    expect(actions).toMatchObject({
      type: 'actions',
      block_id: 'salve_approval:slack-ml-oncall',
      elements: [
        { action_id: 'salve_approve', value: 'heal_01kb2m3n4p5q6r7s8t9v0w1x2y', style: 'primary' },
        { action_id: 'salve_reject', value: 'heal_01kb2m3n4p5q6r7s8t9v0w1x2y', style: 'danger' },
      ],
    });
    const details = textOf(byId(blocks, 'salve_details'));
    expect(details).toContain('1. restart Deployment ml-prod/fraud-scorer\n2. roll back');
    const unix = Date.parse('2026-11-27T04:00:01.000Z') / 1000;
    expect(details).toContain(
      `*Expires:* <!date^${unix}^{date_short_pretty} {time}|2026-11-27T04:00:01.000Z>`,
    );
  });

  it('an approval decision mentions the Slack user who decided and has no buttons', () => {
    const approved = slackMessage(example('Approval decided'), 'slack');
    expect(textOf(approved.blocks[0])).toBe(
      ':white_check_mark: *Approved* by <@U2CERLKJA>: salve acts on `Deployment ml-prod/fraud-scorer` now',
    );
    expect(approved.blocks.some((b) => b.type === 'actions')).toBe(false);
    const rejected = example('Approval decided');
    rejected.approval = { decision: 'rejected', decidedBy: 'token:operator' };
    expect(textOf(slackMessage(rejected, 'slack').blocks[0])).toBe(
      ':no_entry_sign: *Rejected* by token:operator: nothing will be done to `Deployment ml-prod/fraud-scorer`',
    );
  });

  it('alert text cannot mention channels, inject links or break out of code spans', () => {
    const event = example('Heal opened');
    event.alert = {
      ...event.alert!,
      alertname: 'Evil<!channel>',
      summary: 'click <https://evil.example|here> & <!everyone>',
      generatorURL: 'javascript:alert(1)',
    };
    event.heal.target = { ...event.heal.target, name: 'a`b' };
    const { text, blocks } = slackMessage(event, 'slack');
    const all = JSON.stringify(blocks) + text;
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<!everyone>');
    expect(all).not.toContain('<https://evil.example');
    expect(all).not.toContain('javascript:');
    expect(textOf(byId(blocks, 'salve_details'))).toContain(
      '*Summary:* click &lt;https://evil.example|here&gt; &amp; &lt;!everyone&gt;',
    );
    expect(textOf(blocks[0])).toContain("`Deployment ml-prod/a'b`");
  });

  it('a manual heal has no alert: the message says so and links only to the heal', () => {
    const event = { ...example('Heal opened'), alert: null };
    const { blocks } = slackMessage(event, 'slack');
    expect(textOf(byId(blocks, 'salve_details'))).toContain('*Trigger:* opened by hand');
    expect(textOf(byId(blocks, 'salve_links'))).toBe(
      '<https://salve.example/v1/heals/heal_01kb2m3n4p5q6r7s8t9v0w1x2y|heal in salve>',
    );
  });
});
