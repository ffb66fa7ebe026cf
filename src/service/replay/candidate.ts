import type { ActionRegistry } from '../../actions/registry.js';
import type { Clock } from '../../clock.js';
import { SalveError } from '../../errors.js';
import { loadPolicyDir, loadPolicyTexts, type PolicyLoadResult } from '../../policy/loader.js';
import { formatProblem } from '../../policy/problems.js';
import type { PolicyTable } from '../../policy/table.js';

// The table a backtest replays: loaded as salve loads its own, and refused whole, every problem named, when it
// does not load (a backtest of half a table would answer another question).

function tableOrRefusal(loaded: PolicyLoadResult, what: string): PolicyTable {
  if (loaded.table) return loaded.table;
  const lines = loaded.problems.map((p) => `  ${formatProblem(p)}`).join('\n');
  throw new SalveError('SALVE_POLICY_INVALID', `${what}:\n${lines}`);
}

/** Policy files sent with a request (`POST /v1/policies/replay`). */
export function candidateFromTexts(
  files: ReadonlyArray<{ file: string; text: string }>,
  deps: { registry: ActionRegistry; clock: Clock },
): PolicyTable {
  return tableOrRefusal(
    loadPolicyTexts(files, deps.registry, { clock: deps.clock }),
    'the candidate policies are invalid',
  );
}

/** A directory of policy files (`salve replay --policies DIR`, and the table in force it is compared with). */
export async function candidateFromDir(
  dir: string,
  what: string,
  deps: { registry: ActionRegistry; clock: Clock },
): Promise<PolicyTable> {
  return tableOrRefusal(await loadPolicyDir(dir, deps.registry, { clock: deps.clock }), `${what} ${dir}`);
}
