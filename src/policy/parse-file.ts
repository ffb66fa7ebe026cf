import { LineCounter, parseDocument } from 'yaml';
import { findMalformedText } from '../well-formed.js';
import { flattenIssue, formatPath, issueMessages } from './problems.js';
import type { PolicyFileSchema } from './schema.js';
import type { Policy, PolicyProblem } from './types.js';
import { locate } from './yaml-locate.js';

export type ParsedFile = {
  file: string;
  policies: Policy[];
  problems: PolicyProblem[];
  warnings: PolicyProblem[];
  /** Builds a problem for this file at a YAML path, with its line:column. */
  problemAt(path: readonly PropertyKey[], message: string): PolicyProblem;
};

function byPosition(a: PolicyProblem, b: PolicyProblem): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

/** One policy file: YAML syntax, then the schema derived from the registry; every problem, with its place. */
export function parsePolicyFile(file: string, text: string, schema: PolicyFileSchema): ParsedFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const problemAt = (path: readonly PropertyKey[], message: string, atKey = false): PolicyProblem => ({
    file,
    path: formatPath(path),
    message,
    ...locate(doc, lc, path, atKey),
  });
  const fromYaml = (e: { pos: [number, number]; message: string }): PolicyProblem => {
    const { line, col } = lc.linePos(e.pos[0]);
    return { file, path: '', message: e.message, line, column: col };
  };
  const result: ParsedFile = {
    file,
    policies: [],
    problems: [],
    warnings: doc.warnings.map(fromYaml),
    problemAt,
  };

  if (doc.errors.length > 0) {
    result.problems = doc.errors.map(fromYaml);
    return result;
  }
  if (doc.contents === null) {
    result.problems.push({
      file,
      path: '',
      message: 'file is empty: expected apiVersion: salve/v1 and policies',
    });
    return result;
  }
  let data: unknown;
  try {
    // The alias cap stops "billion laughs" documents from expanding without bound.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    result.problems.push({ file, path: '', message: err instanceof Error ? err.message : String(err) });
    return result;
  }

  // "\ud800" and "\0" are valid YAML escapes; a name or label holding them could not be stored as written.
  const malformed = findMalformedText(data);
  if (malformed !== null) {
    result.problems.push(problemAt(malformed.path, malformed.problem, malformed.key));
    return result;
  }
  const parsed = schema.safeParse(data, { error: issueMessages });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const flat of flattenIssue(issue))
        result.problems.push(problemAt(flat.path, flat.message, flat.atKey));
    }
    result.problems.sort(byPosition);
    return result;
  }
  result.policies = parsed.data.policies.map((draft, index) => ({ ...draft, source: { file, index } }));
  if (result.policies.length === 0)
    result.warnings.push(problemAt(['policies'], 'the file defines no policies'));
  return result;
}
