/** Notifications, policies, the store and the process. */
import { type Section, timeseries } from './panels.js';
import { job, jobInstance, window } from './selectors.js';

export const notifications: Section = {
  title: 'Notifications',
  panels: [
    timeseries(
      'Notifications by notifier and outcome',
      [
        {
          expr: `sum by (notifier, outcome) (increase(salve_notifications_total{${jobInstance}}[${window}]))`,
          legend: '{{notifier}}: {{outcome}}',
        },
      ],
      {
        description:
          "sent, skipped (below the notifier's severity), retry (failed, tried again later), deferred (behind a retry), dead (given up).",
        bars: true,
      },
    ),
    timeseries(
      'Backlog and dead letters',
      [
        { expr: `max(salve_notifications_pending{${job}})`, legend: 'pending' },
        {
          expr: `sum by (notifier) (increase(salve_notifications_total{${jobInstance}, outcome="dead"}[${window}]))`,
          legend: 'dead {{notifier}}',
        },
      ],
      { description: 'Notifications waiting in the outbox, and those given up on (people not told).' },
    ),
  ],
};

export const policiesAndStore: Section = {
  title: 'Policies, store and process',
  panels: [
    timeseries(
      'Policy reloads',
      [
        {
          expr: `sum by (outcome) (increase(salve_policy_reloads_total{${jobInstance}}[${window}]))`,
          legend: 'reload {{outcome}}',
        },
        {
          expr: `min by (instance) (salve_policy_last_reload_successful{${jobInstance}})`,
          legend: 'last ok {{instance}}',
        },
      ],
      {
        description:
          'Reloads of the policy files by outcome; a rejected reload keeps the previous table in force.',
        w: 8,
      },
    ),
    timeseries(
      'Store up and failing calls',
      [
        { expr: `min by (instance) (salve_store_up{${jobInstance}})`, legend: 'up {{instance}}' },
        {
          expr: `sum by (operation) (rate(salve_store_failures_total{${jobInstance}}[${window}]))`,
          legend: 'failures {{operation}}',
        },
      ],
      {
        description:
          'The write probe (1 up, 0 down) and store calls that could not commit or answer in time.',
        w: 8,
      },
    ),
    timeseries(
      'Process: memory and event-loop lag',
      [
        {
          expr: `max by (instance) (salve_process_resident_memory_bytes{${jobInstance}})`,
          legend: 'rss {{instance}}',
        },
        {
          expr: `max by (instance) (salve_nodejs_eventloop_lag_p99_seconds{${jobInstance}})`,
          legend: 'loop lag p99 {{instance}}',
        },
      ],
      {
        description:
          'Resident memory per replica, and the p99 event-loop lag (a blocked loop delays every answer).',
        w: 8,
      },
    ),
  ],
};
