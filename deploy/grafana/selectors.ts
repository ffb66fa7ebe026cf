/**
 * What every query of the dashboard selects by: the job and replica template variables. Store-wide gauges
 * (open heals, backlog, pause) are the same on every replica, so they are read with `max` and by job only.
 */
export const job = 'job=~"$job"';
export const jobInstance = 'job=~"$job", instance=~"$instance"';
export const window = '$__rate_interval';
