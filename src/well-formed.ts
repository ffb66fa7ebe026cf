// Every string salve accepts is well-formed Unicode without NUL. A lone UTF-16 surrogate cannot be stored as
// it arrived (SQLite and PostgreSQL keep UTF-8, so it would come back as U+FFFD), and PostgreSQL text refuses
// NUL: either would make what salve stored differ from what it acknowledged, audited and sealed.

export type TextPath = Array<string | number>;

export type MalformedText = { path: TextPath; key: boolean; problem: string };

/** Why `text` is refused, or null. */
export function textProblem(text: string): string | null {
  if (!text.isWellFormed()) {
    const at = [...text].find((c) => c.length === 1 && c >= '\ud800' && c <= '\udfff') ?? '';
    const code = at.charCodeAt(0).toString(16).toUpperCase();
    return `holds a lone UTF-16 surrogate (U+${code}): not well-formed Unicode`;
  }
  if (text.includes('\u0000')) return 'holds a NUL character';
  return null;
}

/**
 * The first string in a parsed JSON or YAML value, key or value, that `textProblem` refuses; null when all
 * are fine. Walks with its own stack: a deeply nested document must not overflow the call stack.
 */
export function findMalformedText(value: unknown): MalformedText | null {
  return allWellFormed(value) ? null : locate(value);
}

/** The fast path, for every request: no paths are built until something is wrong. */
function allWellFormed(value: unknown): boolean {
  return walk(value, true, false) === null;
}

/**
 * A parsed JSON body, on one walk: a string (key or value) `textProblem` refuses (`text`), or a key that
 * poisons prototypes (`prototype`: `__proto__`, or `constructor` holding an object with a `prototype`, what
 * fastify's own parser refuses), or null. Prototype keys win, as they did when the parser refused them first.
 */
export function jsonBodyProblem(value: unknown): 'text' | 'prototype' | null {
  const found = walk(value, true, true);
  if (found === 'text' && walk(value, false, true) === 'prototype') return 'prototype';
  return found;
}

/** The first problem met (strings checked when `text`, prototype keys when `prototype`); null when none. */
function walk(value: unknown, text: boolean, prototype: boolean): 'text' | 'prototype' | null {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (text && (!v.isWellFormed() || v.includes('\u0000'))) return 'text';
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (v !== null && typeof v === 'object') {
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        if (text && (!k.isWellFormed() || k.includes('\u0000'))) return 'text';
        const item = (v as Record<string, unknown>)[k];
        if (prototype && (k === '__proto__' || (k === 'constructor' && isPrototypeHolder(item))))
          return 'prototype';
        stack.push(item);
      }
    }
  }
  return null;
}

const isPrototypeHolder = (item: unknown) =>
  item !== null && typeof item === 'object' && Object.hasOwn(item, 'prototype');

function locate(value: unknown): MalformedText | null {
  const stack: Array<{ value: unknown; path: TextPath }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem !== null) return { path, key: false, problem };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: [...path, i] });
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, item] = entries[i]!;
        const problem = textProblem(k);
        if (problem !== null) return { path: [...path, k], key: true, problem };
        stack.push({ value: item, path: [...path, k] });
      }
    }
  }
  return null;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `alerts[0].labels.instance`, `labels["\ud800"] (a key)`: where the refused string is. */
export function describePath(found: MalformedText): string {
  let out = '';
  for (const key of found.path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return `${out || '(root)'}${found.key ? ' (a key)' : ''}`;
}

/** The 1-based line of the first byte sequence that is not UTF-8, or null when all of `bytes` is UTF-8. */
export function firstNonUtf8Line(bytes: Buffer, isUtf8: (b: Buffer) => boolean): number | null {
  if (isUtf8(bytes)) return null;
  let line = 1;
  let start = 0;
  // A newline byte never occurs inside a multi-byte UTF-8 sequence, so lines can be checked one by one.
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      if (!isUtf8(bytes.subarray(start, i))) return line;
      line += 1;
      start = i + 1;
    }
  }
  return line;
}
