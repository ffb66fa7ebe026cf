import type { NotificationEvent } from '../domain/notification.js';

const heal: NotificationEvent['heal'] = {
  id: 'heal_01kb2m3n4p5q6r7s8t9v0w1x2y',
  policy: 'scorer-error-rate',
  target: { kind: 'Deployment', namespace: 'ml-prod', name: 'fraud-scorer' },
  targetKey: 'Deployment/ml-prod/fraud-scorer',
  state: 'running',
  dryRun: false,
  openedAt: '2026-11-27T03:00:00.000Z',
  steps: [{ action: 'k8s.restart' }, { action: 'k8s.rollback' }],
  url: 'https://salve.example/v1/heals/heal_01kb2m3n4p5q6r7s8t9v0w1x2y',
  consoleUrl: 'https://salve.example/#/heals/heal_01kb2m3n4p5q6r7s8t9v0w1x2y',
  pagedAt: null,
  traceUrl: 'https://tempo.example/trace/4bf92f3577b34da6a3ce929d0e0e4736',
};

const alert: NotificationEvent['alert'] = {
  alertname: 'ModelServingErrorRate',
  fingerprint: '5c3f3bbbd4a1e0a7',
  severity: 'critical',
  summary: 'fraud-scorer answers 5xx to 7.2% of requests',
  generatorURL: 'http://prometheus.example:9090/graph?g0.expr=model_errors',
  alertmanagerURL: 'http://alertmanager.example:9093',
};

const base = (kind: NotificationEvent['kind'], at: string, extra: Partial<NotificationEvent> = {}) => ({
  kind,
  at,
  heal,
  alert,
  ...extra,
});

/** One event of each kind (and each step outcome), as the engine emits them: the docs show what they become. */
export const exampleEvents: Array<{ title: string; event: NotificationEvent }> = [
  { title: 'Heal opened', event: base('heal.opened', '2026-11-27T03:00:01.000Z') },
  {
    title: 'Step result: changed',
    event: base('step.result', '2026-11-27T03:00:02.000Z', {
      step: {
        number: 1,
        action: 'k8s.restart',
        status: 'changed',
        detail: 'restarted Deployment ml-prod/fraud-scorer',
      },
    }),
  },
  {
    title: 'Step result: unchanged',
    event: base('step.result', '2026-11-27T03:00:02.000Z', {
      step: {
        number: 2,
        action: 'k8s.rollback',
        status: 'unchanged',
        detail: 'Deployment ml-prod/fraud-scorer already runs revision 1',
      },
    }),
  },
  {
    title: 'Step result: failed',
    event: base('step.result', '2026-11-27T03:00:02.000Z', {
      step: {
        number: 1,
        action: 'k8s.restart',
        status: 'failed',
        detail: 'SALVE_KUBE_FORBIDDEN: deployments.apps "fraud-scorer" is forbidden',
      },
    }),
  },
  {
    title: 'Dry run',
    event: base('step.result', '2026-11-27T03:00:02.000Z', {
      heal: { ...heal, dryRun: true },
      step: {
        number: 1,
        action: 'k8s.restart',
        status: 'dry_run',
        detail: 'would have: restart Deployment ml-prod/fraud-scorer (rolling, new pod template annotation)',
      },
    }),
  },
  {
    title: 'Resolved',
    event: base('heal.resolved', '2026-11-27T03:04:12.000Z', {
      heal: { ...heal, state: 'resolved' },
      resolution: { timeToResolveSeconds: 252 },
    }),
  },
  {
    title: 'Escalated',
    event: base('heal.escalated', '2026-11-27T03:30:00.000Z', {
      heal: { ...heal, state: 'escalated' },
      escalation: {
        why: '1 alert(s) still firing at the deadline',
        tried: [
          { step: 1, action: 'k8s.restart' },
          { step: 2, action: 'k8s.rollback' },
        ],
      },
    }),
  },
  {
    title: 'Dry run finished',
    event: base('heal.dry_run', '2026-11-27T03:04:12.000Z', {
      heal: { ...heal, state: 'dry_run', dryRun: true },
      dryRun: { wouldHave: 'resolved', why: 'alerts_resolved' },
    }),
  },
  {
    title: 'Refused by a guard',
    event: base('heal.refused', '2026-11-27T03:10:00.000Z', {
      heal: { ...heal, state: 'refused' },
      refusal: {
        guard: 'cooldown',
        reason: 'cooldown',
        detail:
          'policy scorer-error-rate acted on Deployment/ml-prod/fraud-scorer at 2026-11-27T03:00:02.000Z; cooling down until 2026-11-27T03:30:02.000Z',
      },
    }),
  },
  {
    title: 'Cancelled',
    event: base('heal.cancelled', '2026-11-27T03:20:00.000Z', {
      heal: { ...heal, state: 'cancelled' },
      cancellation: { reason: 'approval_expired' },
    }),
  },
  {
    title: 'Approval requested',
    event: base('approval.requested', '2026-11-27T03:00:01.000Z', {
      heal: { ...heal, state: 'awaiting_approval' },
      approval: {
        expiresAt: '2026-11-27T04:00:01.000Z',
        wouldDo: [
          'restart Deployment ml-prod/fraud-scorer',
          'roll back Deployment ml-prod/fraud-scorer to its last known good release',
        ],
        why: {
          guard: 'autonomy',
          detail:
            'k8s.restart resolved 3 of 7 (42.8 %) in 30 days; needs 90 % over at least 5: waits for approval',
        },
      },
    }),
  },
  {
    title: 'Approval overdue',
    event: base('approval.overdue', '2026-11-27T03:20:01.000Z', {
      heal: { ...heal, state: 'awaiting_approval', pagedAt: '2026-11-27T03:20:01.000Z' },
      approval: {
        waitingSince: '2026-11-27T03:00:01.000Z',
        expiresAt: '2026-11-27T04:00:01.000Z',
        wouldDo: [
          'restart Deployment ml-prod/fraud-scorer',
          'roll back Deployment ml-prod/fraud-scorer to its last known good release',
        ],
      },
    }),
  },
  {
    title: 'Approval decided',
    event: base('approval.decided', '2026-11-27T03:02:00.000Z', {
      heal: { ...heal, state: 'awaiting_approval' },
      approval: { decision: 'approved', decidedBy: 'slack:U2CERLKJA' },
    }),
  },
];
