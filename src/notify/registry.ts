import type { NotifierSpec } from './config.js';
import { createPagerDutyNotifier } from './pagerduty/notifier.js';
import { createSlackNotifier, type NotifierDeps } from './slack.js';
import type { Notifier, NotifierType } from './types.js';
import { createWebhookNotifier } from './webhook.js';

/** The one list of notifier types: adding one is a file and a line here. */
const notifierTypes: Record<NotifierType, (spec: NotifierSpec, deps: NotifierDeps) => Notifier> = {
  slack: createSlackNotifier,
  webhook: createWebhookNotifier,
  pagerduty: createPagerDutyNotifier,
};

export type NotifierRegistry = ReadonlyMap<string, Notifier>;

export function createNotifierRegistry(specs: readonly NotifierSpec[], deps: NotifierDeps): NotifierRegistry {
  const registry = new Map<string, Notifier>();
  for (const spec of specs) {
    if (registry.has(spec.name)) throw new Error(`notifier ${spec.name} registered twice`);
    registry.set(spec.name, notifierTypes[spec.type](spec, deps));
  }
  return registry;
}

/** Policies that route to a notifier nobody configured: their notifications would go nowhere. */
export function unknownNotifiers(
  policies: ReadonlyArray<{ name: string; notify: readonly string[] }>,
  registry: NotifierRegistry,
): Array<{ policy: string; notifier: string }> {
  return policies.flatMap((p) =>
    p.notify.filter((n) => !registry.has(n)).map((notifier) => ({ policy: p.name, notifier })),
  );
}
