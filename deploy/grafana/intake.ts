/** The dashboard's first sections: salve at a glance, and what Alertmanager delivers to it. */
import { type Section, stat, timeseries } from './panels.js';
import { job, jobInstance, window } from './selectors.js';

const onOff = (on: string, onColor: string, off: string) => ({
  '0': { text: off, color: 'green' },
  '1': { text: on, color: onColor },
});

export const overview: Section = {
  title: 'Overview',
  panels: [
    stat(
      'Replicas up',
      { expr: `sum(up{${jobInstance}})` },
      {
        description: 'salve replicas Prometheus scrapes successfully.',
        base: 'red',
        thresholds: [['green', 1]],
      },
    ),
    stat(
      'Store',
      { expr: `min(salve_store_up{${jobInstance}})` },
      {
        description: 'Whether every replica commits to the store (the write probe behind /readyz).',
        mappings: { '0': { text: 'DOWN', color: 'red' }, '1': { text: 'up', color: 'green' } },
      },
    ),
    stat(
      'Paused',
      { expr: `max(salve_paused{${job}})` },
      {
        description: 'PUT /v1/pause: alerts are recorded, nothing is acted on.',
        mappings: onOff('PAUSED', 'red', 'no'),
      },
    ),
    stat(
      'Open heals',
      { expr: `sum(max by (state) (salve_open_heals{${job}}))` },
      { description: 'Heals not yet closed, in every open state.' },
    ),
    stat(
      'Approvals waiting',
      { expr: `max(salve_open_heals{${job}, state="awaiting_approval"})` },
      {
        description: 'Heals waiting for an operator to approve or reject them (console, API, Slack).',
        thresholds: [['orange', 1]],
      },
    ),
    stat(
      'Notification backlog',
      { expr: `max(salve_notifications_pending{${job}})` },
      { description: 'Notifications in the outbox not yet sent nor given up.', thresholds: [['orange', 10]] },
    ),
    stat(
      'Policies loaded',
      { expr: `min(salve_policies_loaded{${jobInstance}})` },
      { description: 'Policies in the table in force (the fewest on any replica).', thresholds: [] },
    ),
    stat(
      'Last policy reload',
      { expr: `min(salve_policy_last_reload_successful{${jobInstance}})` },
      {
        description:
          'Whether the last policy reload succeeded on every replica; REJECTED: the previous table acts.',
        mappings: { '0': { text: 'REJECTED', color: 'red' }, '1': { text: 'ok', color: 'green' } },
      },
    ),
  ],
};

export const intake: Section = {
  title: 'Intake: Alertmanager deliveries',
  panels: [
    timeseries(
      'Webhook deliveries by outcome',
      [
        {
          expr: `sum by (outcome) (rate(salve_webhook_requests_total{${jobInstance}}[${window}]))`,
          legend: '{{outcome}}',
        },
      ],
      {
        description:
          'accepted: committed and acknowledged. unauthorized: token refused. error: 5xx, not acknowledged (Alertmanager retries). invalid, too_large: 4xx, which Alertmanager does not retry.',
        unit: 'reqps',
        stacked: true,
      },
    ),
    timeseries(
      'Alerts received and deduplicated',
      [
        {
          expr: `sum by (status) (rate(salve_alerts_received_total{${jobInstance}}[${window}]))`,
          legend: 'received {{status}}',
        },
        {
          expr: `sum(rate(salve_alerts_deduplicated_total{${jobInstance}}[${window}]))`,
          legend: 'deduplicated',
        },
      ],
      {
        description:
          'Alerts in deliveries, and those already committed (group re-sends, repeat intervals, HA peers).',
        unit: 'ops',
      },
    ),
    timeseries(
      'Webhook acknowledgement latency',
      [
        {
          expr: `histogram_quantile(0.5, sum by (le) (rate(salve_webhook_ack_seconds_bucket{${jobInstance}}[${window}])))`,
          legend: 'p50',
        },
        {
          expr: `histogram_quantile(0.99, sum by (le) (rate(salve_webhook_ack_seconds_bucket{${jobInstance}}[${window}])))`,
          legend: 'p99',
        },
      ],
      {
        description:
          'From receiving a delivery to acknowledging it, durably committed. Past SALVE_DELIVERY_DEADLINE (5 s) it is answered 503.',
        unit: 's',
      },
    ),
    timeseries(
      'Match refusals by policy and reason',
      [
        {
          expr: `sum by (policy, reason) (increase(salve_match_refusals_total{${jobInstance}}[${window}]))`,
          legend: '{{policy}}: {{reason}}',
        },
      ],
      {
        description:
          'Matching alerts a policy refused at intake: a missing label, a bad name, a target outside allow.',
        bars: true,
      },
    ),
    timeseries(
      'Refused requests by route and reason',
      [
        {
          expr: `sum by (route, reason) (rate(salve_auth_failures_total{${jobInstance}}[${window}]))`,
          legend: '{{route}}: {{reason}}',
        },
      ],
      {
        description:
          'Requests refused for a missing, unknown or under-scoped token (or a bad Slack signature).',
        unit: 'reqps',
        w: 24,
      },
    ),
  ],
};
