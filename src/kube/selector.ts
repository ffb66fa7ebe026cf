import type { LabelSelector } from './port.js';

const operators: Record<string, (key: string, values: readonly string[]) => string> = {
  In: (key, values) => `${key} in (${values.join(',')})`,
  NotIn: (key, values) => `${key} notin (${values.join(',')})`,
  Exists: (key) => key,
  DoesNotExist: (key) => `!${key}`,
};

/**
 * The API's string form of a LabelSelector, as kubectl sends it in `labelSelector=`.
 * An empty selector matches everything, so it is refused: a workload always has one, and listing a whole
 * namespace by mistake would attribute other objects' history to it.
 */
export function selectorToString(selector: LabelSelector | undefined): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) parts.push(`${key}=${value}`);
  for (const requirement of selector?.matchExpressions ?? []) {
    const render = operators[requirement.operator];
    if (render === undefined) throw new TypeError(`unknown label selector operator ${requirement.operator}`);
    parts.push(render(requirement.key, requirement.values ?? []));
  }
  if (parts.length === 0) throw new TypeError('empty label selector');
  return parts.join(',');
}
