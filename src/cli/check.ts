import { createActionRegistry } from '../actions/registry.js';
import { loadNotifierSpecs, notifySettingsFromEnv } from '../notify/config.js';
import { howToConfigure } from '../notify/registry.js';
import { loadPolicyDir } from '../policy/loader.js';
import { findOverlaps } from '../policy/overlap.js';
import { formatProblem } from '../policy/problems.js';

/** `salve check [DIR]`: every problem in every file at once; exit 1 if there is any. */
export async function check(
  positionals: string[],
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
): Promise<number> {
  const dir = positionals[0] ?? env.SALVE_POLICIES ?? './policies';
  const registry = createActionRegistry();
  const { table, problems } = await loadPolicyDir(dir, registry);
  for (const problem of problems) out.write(`error: ${formatProblem(problem)}\n`);
  if (table) {
    for (const warning of findOverlaps(table)) out.write(`warning: ${warning.message}\n`);
    // Notifiers are configured by the environment salve runs in: check against this one.
    const notifiers = new Set(loadNotifierSpecs(notifySettingsFromEnv(env)).map((spec) => spec.name));
    for (const policy of table.policies) {
      for (const name of policy.notify.filter((n) => !notifiers.has(n))) {
        out.write(
          `warning: policy ${policy.name} notifies "${name}", which is not configured here (${howToConfigure(name)})\n`,
        );
      }
    }
  }
  if (problems.length > 0 || !table) {
    out.write(`${problems.length} problem(s) in ${dir}\n`);
    return 1;
  }
  out.write(`ok: ${table.policies.length} policies in ${table.files.length} file(s)\n`);
  return 0;
}
