import { settingEnv } from '../config/schema.js';
import type { Notifier, NotifierDeps, NotifierKind, NotifierSpec } from './notifier.js';
import { slackNotifier } from './slack/notifier.js';
import { webhookNotifier } from './webhook/notifier.js';

/** The one list of notifier types: a new one is a folder and a line here (docs/adding-a-notifier.md). */
// biome-ignore lint/suspicious/noExplicitAny: the list holds notifier types of every configuration shape.
export const notifierKinds: ReadonlyArray<NotifierKind<any>> = [slackNotifier, webhookNotifier];

export type NotifierRegistry = ReadonlyMap<string, Notifier>;

export function createNotifierRegistry(
  specs: readonly NotifierSpec[],
  deps: NotifierDeps,
  kinds: ReadonlyArray<NotifierKind> = notifierKinds,
): NotifierRegistry {
  const registry = new Map<string, Notifier>();
  for (const spec of specs) {
    if (registry.has(spec.name)) throw new Error(`notifier ${spec.name} registered twice`);
    const kind = kinds.find((k) => k.type === spec.type);
    if (kind === undefined) throw new Error(`notifier ${spec.name}: no notifier type ${spec.type}`);
    registry.set(spec.name, kind.create(spec, deps));
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

/** What defines a notifier of this name: the settings of the built-in one so named, or the notifiers file. */
export function howToConfigure(name: string, kinds: ReadonlyArray<NotifierKind> = notifierKinds): string {
  const builtin = kinds.find((k) => k.builtin?.name === name)?.builtin;
  if (builtin === undefined) return `define it in ${settingEnv.notifiersFile}`;
  const settings = builtin.settings.map((s) => settingEnv[s]).join(' and ');
  return `set ${settings}, or define it in ${settingEnv.notifiersFile}`;
}
