import { describeAction } from '../actions/describe.js';
import { createActionRegistry } from '../actions/registry.js';

/** `salve actions [--json]`: the registry, with parameters, example and the RBAC each action needs. */
export function listActions(json: boolean, out: NodeJS.WritableStream): number {
  const actions = [...createActionRegistry().values()].map(describeAction);
  if (json) {
    out.write(`${JSON.stringify({ actions }, null, 2)}\n`);
    return 0;
  }
  for (const a of actions) {
    out.write(`${a.kind}\n  ${a.summary}\n  targets: ${a.targetKinds.join(', ')}\n`);
    out.write(`  example: with: ${JSON.stringify(a.example)}\n`);
    const properties = (a.parameters.properties ?? {}) as Record<
      string,
      { type?: string; description?: string }
    >;
    for (const [name, p] of Object.entries(properties)) {
      out.write(
        `  param ${name}${p.type ? ` (${p.type})` : ''}${p.description ? `: ${p.description}` : ''}\n`,
      );
    }
    if (a.rbac.length === 0) out.write('  rbac: none (acts outside Kubernetes)\n');
    for (const r of a.rbac) {
      out.write(
        `  rbac: ${r.apiGroups.map((g) => g || 'core').join(',')} ${r.resources.join(',')}: ${r.verbs.join(',')}\n`,
      );
    }
    out.write('\n');
  }
  return 0;
}
