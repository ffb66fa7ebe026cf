import { RE2JS } from 're2js';
import { literalAlternation } from './literal-values.js';
import { lookup } from './templates.js';
import type { LabelMatcher, MatcherOp } from './types.js';

/** A compiled `=~` / `!~` pattern: whole-value match, linear time. */
export type LabelRegex = { test(value: string): boolean };

// Alertmanager's classic matcher grammar (pkg/labels/parse.go): a label name, an operator, and a value that
// is either quoted (with \" \\ \n escapes) or bare. Operators are tried longest first so `=~` is not `=`.
const MATCHER = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|!~|!=|=)\s*([\s\S]*?)\s*$/;

export type MatcherResult = { ok: true; matcher: LabelMatcher } | { ok: false; error: string };

export function parseMatcher(text: string): MatcherResult {
  const m = MATCHER.exec(text);
  if (m === null) {
    return {
      ok: false,
      error: `expected a matcher like alertname="X", severity=~"critical|page" or env!="dev", got ${JSON.stringify(text)}`,
    };
  }
  const [, label = '', op = '=', raw = ''] = m;
  const value = unquote(raw);
  if (!value.ok) return { ok: false, error: `${value.error} in matcher ${JSON.stringify(text)}` };
  return buildMatcher(label, op as MatcherOp, value.value);
}

export function buildMatcher(label: string, op: MatcherOp, value: string): MatcherResult {
  if (op === '=' || op === '!=') return { ok: true, matcher: { label, op, value } };
  const compiled = compileRegex(value);
  if (!compiled.ok) {
    return {
      ok: false,
      error: `invalid regular expression ${JSON.stringify(value)} for label ${label}: ${compiled.error}`,
    };
  }
  return { ok: true, matcher: { label, op, value, regex: compiled.regex } };
}

/**
 * RE2 semantics, as Alertmanager has them (Go's regexp): matching takes time linear in the label's length,
 * whatever the pattern, so an alert label cannot stall salve with a backtracking pattern such as `(a+)+b`.
 * What RE2 cannot express (backreferences, lookarounds, repeats over 1000) is refused when the policy loads.
 * Anchored the way Alertmanager anchors it: the pattern text goes between `^(?:` and `)$`.
 */
function compileRegex(value: string): { ok: true; regex: LabelRegex } | { ok: false; error: string } {
  // A literal alternation (`critical|page`) matches exactly its words: a set lookup, same answer, no engine.
  const literal = literalAlternation(value);
  if (literal !== null) {
    const words = new Set(literal);
    return { ok: true, regex: { test: (s) => words.has(s) } };
  }
  try {
    const re = RE2JS.compile(`^(?:${value})$`);
    return { ok: true, regex: { test: (s) => re.test(s) } };
  } catch (err) {
    // "error parsing regexp: invalid escape sequence: `\\1`": keep the reason and the culprit, drop the
    // preamble, and drop the culprit when it is the whole anchored pattern (the user never wrote `^(?:`).
    const message = err instanceof Error ? err.message : String(err);
    const why = message.replace(/^error parsing regexp: /, '').replace(/: `\^\(\?:[\s\S]*`$/, '');
    return { ok: false, error: `${why} (salve matches with RE2 syntax, as Alertmanager does)` };
  }
}

type Unquoted = { ok: true; value: string } | { ok: false; error: string };

function unquote(raw: string): Unquoted {
  const quoted = raw.startsWith('"');
  const body = quoted ? raw.slice(1) : raw;
  let value = '';
  let closed = !quoted;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '\\' && i < body.length - 1) {
      const next = body[++i] as string;
      if (next === 'n') value += '\n';
      else if (next === '"' || next === '\\') value += next;
      // Like Alertmanager, a spurious escape stays literal so regexes such as "\d+" read naturally.
      else value += `\\${next}`;
    } else if (c === '"') {
      if (!quoted || i < body.length - 1) return { ok: false, error: 'unescaped double quote' };
      closed = true;
    } else {
      value += c;
    }
  }
  if (!closed) return { ok: false, error: 'missing closing double quote' };
  return { ok: true, value };
}

/** Alertmanager semantics: an absent label matches as the empty string. */
export function matches(matcher: LabelMatcher, labels: Readonly<Record<string, string>>): boolean {
  const value = lookup(labels, matcher.label) ?? '';
  switch (matcher.op) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return matcher.regex?.test(value) ?? false;
    case '!~':
      return !(matcher.regex?.test(value) ?? false);
  }
}

export function matchesAll(
  matchers: readonly LabelMatcher[],
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const m of matchers) if (!matches(m, labels)) return false;
  return true;
}

/** The matcher as Alertmanager would print it: `severity=~"critical|page"`. */
export function formatMatcher(m: LabelMatcher): string {
  const escaped = m.value.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n');
  return `${m.label}${m.op}"${escaped}"`;
}
