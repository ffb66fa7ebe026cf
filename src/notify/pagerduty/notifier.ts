import type { NotifierSpec } from '../config.js';
import { type NotifierDeps, readSource } from '../slack.js';
import type { Notifier } from '../types.js';
import { pagerDutyActions, pagerDutyEvents } from './events.js';
import { routingKeyProblem, sendPagerDuty } from './send.js';

/**
 * PagerDuty through its Events API v2: an incident when a heal needs a human (escalated, or an approval
 * overdue), acknowledged when approved, resolved when the heal ends. The routing key is the spec's secret,
 * read at every send (a rotated Secret needs no restart).
 */
export function createPagerDutyNotifier(spec: NotifierSpec, deps: NotifierDeps): Notifier {
  return {
    name: spec.name,
    type: 'pagerduty',
    minSeverity: spec.minSeverity,
    wants: (event) => pagerDutyActions(event).length > 0,
    async send({ event }) {
      if (spec.secret === null) {
        return { outcome: 'dead', status: null, error: 'no routing key is configured for this notifier' };
      }
      const key = await readSource(deps, spec.secret, 'routing key');
      if ('failed' in key) return key.failed;
      const problem = routingKeyProblem(key.value);
      // Wrong for every event until someone replaces it: PagerDuty would refuse it with a 400 anyway.
      if (problem !== null) return { outcome: 'dead', status: null, error: `the routing key ${problem}` };
      const url = await readSource(deps, spec.url, 'URL');
      if ('failed' in url) return url.failed;
      return sendPagerDuty(deps.http, url.value, key.value, pagerDutyEvents(event, key.value), {
        timeoutMs: deps.timeoutMs,
        now: deps.now,
      });
    },
  };
}
