/** Heals, the guards that refuse them, and the actions they run. */
import { type Section, stat, timeseries } from './panels.js';
import { job, jobInstance, window } from './selectors.js';

export const heals: Section = {
  title: 'Heals',
  panels: [
    timeseries(
      'Open heals by state',
      [{ expr: `max by (state) (salve_open_heals{${job}})`, legend: '{{state}}' }],
      {
        description: 'pending, awaiting_approval, running (an action), verifying (rollout and resolution).',
        stacked: true,
      },
    ),
    timeseries(
      'Heals finished by outcome',
      [
        {
          expr: `sum by (outcome) (increase(salve_heals_total{${jobInstance}}[${window}]))`,
          legend: '{{outcome}}',
        },
      ],
      {
        description:
          'resolved, escalated (a human must act), failed, cancelled, refused by a guard, dry_run (a dry-run heal ended).',
        bars: true,
      },
    ),
    timeseries(
      'Heals opened by policy',
      [
        {
          expr: `sum by (policy) (increase(salve_heals_opened_total{${jobInstance}}[${window}]))`,
          legend: '{{policy}}',
        },
      ],
      { description: 'New heals, from alerts or opened by hand.', bars: true },
    ),
    timeseries(
      'Time to resolve (over the last hour)',
      [
        {
          expr: `histogram_quantile(0.5, sum by (le) (rate(salve_time_to_resolve_seconds_bucket{${jobInstance}}[1h])))`,
          legend: 'p50',
        },
        {
          expr: `histogram_quantile(0.9, sum by (le) (rate(salve_time_to_resolve_seconds_bucket{${jobInstance}}[1h])))`,
          legend: 'p90',
        },
        {
          expr: `histogram_quantile(0.9, sum by (policy, le) (rate(salve_time_to_resolve_seconds_bucket{${jobInstance}}[1h])))`,
          legend: 'p90 {{policy}}',
        },
      ],
      {
        description: 'From a heal opening to every attached alert resolving, for resolved heals.',
        unit: 's',
      },
    ),
    timeseries(
      'Guard refusals by guard and reason',
      [
        {
          expr: `sum by (guard, reason) (increase(salve_guard_refusals_total{${jobInstance}}[${window}]))`,
          legend: '{{guard}}: {{reason}}',
        },
      ],
      {
        description:
          'Heals a safety rail refused: cooldown, allowed (outside allow, policy removed), rate_limit (loop breaker, global ceiling).',
        bars: true,
      },
    ),
    stat(
      'Loop-breaker trips',
      {
        expr: `sum(increase(salve_guard_refusals_total{${jobInstance}, guard="rate_limit", reason="loop_breaker"}[$__range]))`,
        instant: true,
      },
      {
        description:
          'Heals the heal-loop breaker refused over the time range (POST /v1/breaker/reset lifts it).',
        thresholds: [['red', 1]],
        w: 6,
      },
    ),
    stat(
      'Global ceiling hits',
      {
        expr: `sum(increase(salve_guard_refusals_total{${jobInstance}, guard="rate_limit", reason="global_rate_limit"}[$__range]))`,
        instant: true,
      },
      {
        description: 'Heals refused because SALVE_MAX_ACTIONS_PER_HOUR was reached, over the time range.',
        thresholds: [['red', 1]],
        w: 6,
      },
    ),
    timeseries(
      'Scheduler: heals claimed per turn',
      [{ expr: `max by (instance) (salve_scheduler_queue_depth{${jobInstance}})`, legend: '{{instance}}' }],
      { description: 'Due heals each replica claimed at its last turn.' },
    ),
  ],
};

export const actions: Section = {
  title: 'Actions',
  panels: [
    timeseries(
      'Step outcomes by action',
      [
        {
          expr: `sum by (action, outcome) (increase(salve_action_duration_seconds_count{${jobInstance}}[${window}]))`,
          legend: '{{action}}: {{outcome}}',
        },
      ],
      {
        description:
          'Each action run: changed, unchanged (already done: idempotent re-run), failed, dry_run.',
        bars: true,
      },
    ),
    timeseries(
      'Action durations (p50, p99)',
      [
        {
          expr: `histogram_quantile(0.5, sum by (action, le) (rate(salve_action_duration_seconds_bucket{${jobInstance}}[${window}])))`,
          legend: 'p50 {{action}}',
        },
        {
          expr: `histogram_quantile(0.99, sum by (action, le) (rate(salve_action_duration_seconds_bucket{${jobInstance}}[${window}])))`,
          legend: 'p99 {{action}}',
        },
      ],
      {
        description: 'How long each action request took (not the rollout or the verification after it).',
        unit: 's',
      },
    ),
  ],
};
