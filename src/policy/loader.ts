import { isUtf8 } from 'node:buffer';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActionRegistry } from '../actions/registry.js';
import { type Clock, systemClock } from '../clock.js';
import { firstNonUtf8Line } from '../well-formed.js';
import { type ParsedFile, parsePolicyFile } from './parse-file.js';
import { buildPolicyFileSchema } from './schema.js';
import { createPolicyTable, type PolicyTable } from './table.js';
import type { Policy, PolicyProblem } from './types.js';

/** What loading a policy directory produced: a table only when there is no problem at all. */
export type PolicyLoadResult = {
  table: PolicyTable | null;
  problems: PolicyProblem[];
  /** Not errors, worth saying: an empty directory, a file with no policies. */
  warnings: PolicyProblem[];
};

export type LoadOptions = { clock?: Clock };

const POLICY_FILE = /\.ya?ml$/;

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

function dirProblem(dir: string, err: unknown): PolicyProblem {
  const code = errorCode(err);
  const message =
    code === 'ENOENT'
      ? `policy directory ${dir} does not exist`
      : code === 'ENOTDIR'
        ? `${dir} is not a directory`
        : `cannot read policy directory ${dir}: ${err instanceof Error ? err.message : String(err)}`;
  return { file: dir, path: '', message };
}

/**
 * `*.yaml` / `*.yml` directly in `dir`, sorted. Dot-entries are skipped: a Kubernetes ConfigMap mount keeps
 * its real files under `..data/` and exposes them as symlinks, which are followed.
 */
async function listPolicyFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.') && POLICY_FILE.test(n)).sort();
  const files: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => null);
    if (info?.isFile()) files.push(path);
  }
  return files;
}

/** Steps that write a parameter their action has retired: they load, and the warning says what to do. */
function deprecations(file: ParsedFile, registry: ActionRegistry): PolicyProblem[] {
  return file.policies.flatMap((policy) =>
    policy.steps.flatMap((step, i) => {
      const retired = registry.get(step.action)?.deprecatedParams ?? {};
      return Object.keys(step.with)
        .filter((key) => Object.hasOwn(retired, key))
        .map((key) =>
          file.problemAt(
            ['policies', policy.source.index, 'steps', i, 'with', key],
            `${key} is deprecated and has no effect: ${retired[key]}`,
          ),
        );
    }),
  );
}

function assemble(parsed: readonly ParsedFile[], registry: ActionRegistry, clock: Clock): PolicyLoadResult {
  const problems = parsed.flatMap((f) => f.problems);
  const warnings = parsed.flatMap((f) => [...f.warnings, ...deprecations(f, registry)]);
  const seen = new Map<string, Policy>();
  for (const file of parsed) {
    for (const policy of file.policies) {
      const first = seen.get(policy.name);
      if (first === undefined) {
        seen.set(policy.name, policy);
        continue;
      }
      const where = `${first.source.file} policies[${first.source.index}]`;
      problems.push(
        file.problemAt(
          ['policies', policy.source.index, 'name'],
          `duplicate policy name ${JSON.stringify(policy.name)} (first defined in ${where})`,
        ),
      );
    }
  }
  if (problems.length > 0) return { table: null, problems, warnings };
  const table = createPolicyTable(
    parsed.flatMap((f) => f.policies),
    { files: parsed.map((f) => f.file), loadedAt: clock.now().toISOString() },
  );
  return { table, problems, warnings };
}

/**
 * Every policy file in `dir`, all problems of all files at once; a table only when there are none.
 * A missing or unreadable directory is a problem (a typo in the path must not run salve with no policies);
 * an existing directory with no policy files yields an empty table and a warning, so salve can receive and
 * record alerts before any policy is written.
 */
export async function loadPolicyDir(
  dir: string,
  registry: ActionRegistry,
  options: LoadOptions = {},
): Promise<PolicyLoadResult> {
  const clock = options.clock ?? systemClock();
  let files: string[];
  try {
    files = await listPolicyFiles(dir);
  } catch (err) {
    return { table: null, problems: [dirProblem(dir, err)], warnings: [] };
  }
  const schema = buildPolicyFileSchema(registry);
  const parsed: ParsedFile[] = [];
  const unreadable: PolicyProblem[] = [];
  for (const file of files) {
    try {
      const bytes = await readFile(file);
      // Bytes that are not UTF-8 would be read as U+FFFD: a policy must say what its author wrote.
      const badLine = firstNonUtf8Line(bytes, isUtf8);
      if (badLine !== null) {
        unreadable.push({ file, path: '', line: badLine, column: 1, message: 'is not valid UTF-8' });
        continue;
      }
      parsed.push(parsePolicyFile(file, bytes.toString('utf8'), schema));
    } catch (err) {
      unreadable.push({
        file,
        path: '',
        message: `cannot read: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }
  const result = assemble(parsed, registry, clock);
  if (unreadable.length > 0)
    return { table: null, problems: [...unreadable, ...result.problems], warnings: result.warnings };
  if (files.length === 0) {
    result.warnings.push({
      file: dir,
      path: '',
      message: `no policy files (*.yaml, *.yml) found in ${dir}: alerts will be recorded, none acted on`,
    });
  }
  return result;
}

/** One policy document given as text (`salve test`, `POST /v1/policies/test`), checked like a file. */
export function loadPolicyText(
  file: string,
  text: string,
  registry: ActionRegistry,
  options: LoadOptions = {},
): PolicyLoadResult {
  return loadPolicyTexts([{ file, text }], registry, options);
}

/** Policy documents given as text (`POST /v1/policies/replay`), checked together like a directory's files. */
export function loadPolicyTexts(
  files: ReadonlyArray<{ file: string; text: string }>,
  registry: ActionRegistry,
  options: LoadOptions = {},
): PolicyLoadResult {
  const schema = buildPolicyFileSchema(registry);
  return assemble(
    files.map((f) => parsePolicyFile(f.file, f.text, schema)),
    registry,
    options.clock ?? systemClock(),
  );
}
