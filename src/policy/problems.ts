import type { z } from 'zod';
import type { PolicyProblem } from './types.js';

export type IssuePath = readonly PropertyKey[];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `policies[2].steps[0].with.toRevision` */
export function formatPath(path: IssuePath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** `policies/serving.yaml:12:9 policies[1].target.name: label "deployment" is missing` */
export function formatProblem(p: PolicyProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
  return p.path === '' ? `${where} ${p.message}` : `${where} ${p.path}: ${p.message}`;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  return String(value);
}

const EXPECTED: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

/**
 * Plain messages for zod's generic issues; schemas that carry their own message (ours and the actions')
 * keep it, because a per-parse error map has the lowest precedence.
 */
export const issueMessages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${issue.minimum} item(s)`;
      if (issue.origin === 'string' && issue.minimum === 1) return 'must not be empty';
      if (issue.origin === 'string') return `must be at least ${issue.minimum} characters`;
      return `expected ${issue.origin === 'number' ? 'a number ' : ''}${issue.inclusive ? '>=' : '>'} ${issue.minimum}, got ${describeValue(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'array') return `takes at most ${issue.maximum} item(s)`;
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      return `expected ${issue.origin === 'number' ? 'a number ' : ''}${issue.inclusive ? '<=' : '<'} ${issue.maximum}, got ${describeValue(issue.input)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return undefined;
  }
};

/** One line for an issue; a union that fits no branch lists what each branch wanted. */
export function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue.message;
  const branches = issue.errors.map(
    (branch, i) =>
      `(${i + 1}) ${branch.map((b) => (b.path.length > 0 ? `${formatPath(b.path)}: ${issueText(b)}` : issueText(b))).join('; ')}`,
  );
  return `fits none of the accepted shapes: ${branches.join(' ')}`;
}

export type FlatIssue = { path: PropertyKey[]; message: string; atKey: boolean };

/** Issues as problems: an unknown key becomes one problem per key, pointing at the key itself. */
export function flattenIssue(issue: z.core.$ZodIssue): FlatIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: [...issue.path, key],
      message: `unknown key ${JSON.stringify(key)}`,
      atKey: true,
    }));
  }
  const atKey = issue.code === 'custom' && issue.params?.atKey === true;
  return [{ path: [...issue.path], message: issueText(issue), atKey }];
}
