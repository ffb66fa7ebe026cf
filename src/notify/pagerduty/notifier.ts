import { z } from 'zod';
import {
  type Notifier,
  type NotifierDeps,
  type NotifierKind,
  type NotifierSpec,
  type ReadNow,
  readSource,
  type ValueSource,
  valueSourceSchema,
} from '../notifier.js';
import { pagerDutyActions, pagerDutyEvents, whyNotPaged } from './events.js';
import { pagerDutyEnqueueUrl, routingKeyProblem, sendPagerDuty } from './send.js';

type PagerDutyFields = { routingKey: ValueSource; url: ValueSource };

const fields: z.ZodType<PagerDutyFields> = z
  .strictObject({
    routingKey: valueSourceSchema.describe('the Events API v2 integration key'),
    url: valueSourceSchema.optional().describe(`default ${pagerDutyEnqueueUrl}`),
    secret: z
      .undefined({ error: 'PagerDuty notifiers sign nothing: the routingKey is their credential' })
      .optional(),
  })
  .transform((f) => ({ routingKey: f.routingKey, url: f.url ?? { value: pagerDutyEnqueueUrl } }));

/** Where a routing key comes from, in the words of whoever set it. */
function keySource(spec: NotifierSpec<PagerDutyFields>): string {
  const source = spec.routingKey;
  if ('value' in source) return 'SALVE_PAGERDUTY_ROUTING_KEY';
  return `notifier ${spec.name}: ${'env' in source ? `environment variable ${source.env}` : `file ${source.file}`}`;
}

/**
 * PagerDuty through its Events API v2: an incident when a heal needs a human (escalated, or an approval
 * overdue), acknowledged when approved, resolved when the heal ends. The routing key is read at every send (a
 * rotated Secret needs no restart) and checked at start.
 */
export function createPagerDutyNotifier(spec: NotifierSpec<PagerDutyFields>, deps: NotifierDeps): Notifier {
  return {
    name: spec.name,
    type: 'pagerduty',
    minSeverity: spec.minSeverity,
    async notify({ event }) {
      if (pagerDutyActions(event).length === 0) return { outcome: 'skipped', why: whyNotPaged(event) };
      const key = await readSource(deps, spec.routingKey, 'routing key');
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

/** A routing key cut short or a file not mounted stops the start, named by its source, never quoted. */
function check(spec: NotifierSpec<PagerDutyFields>, read: ReadNow): string[] {
  const key = read(spec.routingKey);
  if ('problem' in key) return [`${keySource(spec)}: ${key.problem}`];
  const problem = routingKeyProblem(key.value);
  return problem === null ? [] : [`${keySource(spec)}: the routing key ${problem}`];
}

export const pagerDutyNotifier: NotifierKind<PagerDutyFields> = {
  type: 'pagerduty',
  fields,
  builtin: {
    name: 'pagerduty',
    settings: ['pagerdutyRoutingKey', 'pagerdutyRoutingKeyFile'],
    fields(settings) {
      const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
      const value = text(settings.pagerdutyRoutingKey);
      const file = text(settings.pagerdutyRoutingKeyFile);
      const routingKey: ValueSource | undefined = value ? { value } : file ? { file } : undefined;
      if (routingKey === undefined) return null;
      return { routingKey, url: { value: text(settings.pagerdutyUrl) ?? pagerDutyEnqueueUrl } };
    },
  },
  check,
  create: createPagerDutyNotifier,
};
