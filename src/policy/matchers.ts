import { lookup } from './templates.js';
import type { LabelMatcher, MatcherOp } from './types.js';

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
  try {
    // Anchored like Alertmanager: `critical|page` must match the whole value, not a substring.
    const regex = new RegExp(`^(?:${value})$`, 'u');
    return { ok: true, matcher: { label, op, value, regex } };
  } catch (err) {
    // V8 repeats the whole pattern in its message; keep only the reason ("Unterminated group").
    const why = err instanceof Error ? (err.message.split(': ').pop() ?? err.message) : String(err);
    return {
      ok: false,
      error: `invalid regular expression ${JSON.stringify(value)} for label ${label}: ${why}`,
    };
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
