import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/domain/audit.js';
import { timelineOf } from '../../src/domain/timeline.js';

let seq = 0;
const record = (
  type: string,
  outcome: string | null,
  data: Record<string, unknown>,
  actor = 'salve',
): AuditRecord => {
  seq += 1;
  return {
    seq,
    at: `2026-11-27T03:00:${String(seq).padStart(2, '0')}.000Z`,
    type,
    actor,
    healId: 'heal_1',
    policy: 'p',
    target: 'Deployment/ml-prod/scorer',
    outcome,
    data,
    prevHash: '',
    hash: '',
    scheme: 2,
  };
};

describe("a heal's timeline", () => {
  it('tells each record in a line, and leaves the deliveries of notifications out', () => {
    const lines = timelineOf([
      record(
        'heal.opened',
        'pending',
        { trigger: { alertname: 'ModelServingErrorRate' } },
        'alertmanager:salve',
      ),
      record('approval.requested', 'await_approval', {
        guard: 'approval',
        detail: 'policy requires approval',
      }),
      record('notification.sent', 'sent', { notifier: 'slack', kind: 'approval.requested' }),
      record('approval.granted', 'approved', { via: 'slack' }, 'slack:U2CERLKJA'),
      record('action.started', 'started', { step: 1, action: 'k8s.restart', attempt: 0, params: {} }),
      record('action.failed', 'SALVE_KUBE_FORBIDDEN', {
        step: 1,
        action: 'k8s.restart',
        code: 'SALVE_KUBE_FORBIDDEN',
        message: `deployments.apps "scorer" is forbidden ${'x'.repeat(600)}`,
      }),
      record('heal.next_step', 'next_step', { why: 'action k8s.restart failed: SALVE_KUBE_FORBIDDEN' }),
      record('slack.ignored', null, {}),
    ]);
    expect(lines.map((l) => [l.type, l.outcome, l.detail?.slice(0, 70)])).toEqual([
      ['heal.opened', 'pending', 'ModelServingErrorRate'],
      ['approval.requested', 'await_approval', 'policy requires approval'],
      ['approval.granted', 'approved', 'by slack:U2CERLKJA'],
      ['action.started', 'started', 'step 1 k8s.restart'],
      [
        'action.failed',
        'SALVE_KUBE_FORBIDDEN',
        'step 1 k8s.restart: deployments.apps "scorer" is forbidden xxxxxxxxxxx',
      ],
      ['heal.next_step', 'next_step', 'action k8s.restart failed: SALVE_KUBE_FORBIDDEN'],
    ]);
    expect(lines[4]!.detail).toHaveLength(500);
    expect(lines[0]!.at).toBe('2026-11-27T03:00:01.000Z');
  });

  it('has no words for a record that says nothing more than its type', () => {
    expect(
      timelineOf([record('heal.resolved', 'resolved', { timeToResolveSeconds: 3 })])[0]!.detail,
    ).toBeNull();
  });
});
