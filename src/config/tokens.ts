import { hash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML, { LineCounter } from 'yaml';
import { z } from 'zod';
import { SalveError } from '../errors.js';
import { textProblem } from '../well-formed.js';

export const scopes = ['alertmanager', 'operator', 'viewer'] as const;
export type Scope = (typeof scopes)[number];

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters');

const tokenEntry = z
  .object({
    name: z
      .string()
      .min(1)
      .refine((n) => textProblem(n) === null, 'must be well-formed Unicode without NUL'),
    scopes: z.array(z.enum(scopes)).min(1),
    token: z.string().min(16, 'tokens must be at least 16 characters').optional(),
    sha256: sha256Hex.optional(),
  })
  .strict()
  .refine((t) => (t.token === undefined) !== (t.sha256 === undefined), 'give exactly one of token or sha256');

const tokenList = z.array(tokenEntry);

/** A token as kept in memory: only its digest, so a heap dump does not leak configured plaintext. */
export type TokenIdentity = { name: string; scopes: ReadonlySet<Scope>; digest: Buffer };

/**
 * SHA-256 of the UTF-8 text. One-shot (Node 20.12+, which `engines` requires): no Hash object per call, half
 * the CPU of createHash on a token, and the check of every authenticated request pays it.
 */
export function sha256(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/** The line each entry of the list starts on, so problems can point at both of two clashing entries. */
function entryLines(text: string): number[] {
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter });
  const root = doc.contents;
  const seq = YAML.isMap(root) ? root.get('tokens', true) : root;
  if (!YAML.isSeq(seq)) return [];
  return seq.items.map((item) =>
    YAML.isNode(item) && item.range ? lineCounter.linePos(item.range[0]).line : 0,
  );
}

/**
 * Two entries with one name would make the audit log's `token:<name>` ambiguous; two with one secret would
 * make the first one win silently (and the second's scopes never apply). Either stops salve, naming both lines.
 */
function refuseDuplicates(file: string, text: string, entries: readonly TokenIdentity[]): void {
  const lines = entryLines(text);
  const at = (i: number) => (lines[i] ? `${file}:${lines[i]}` : `${file} [${i}]`);
  const problems: string[] = [];
  entries.forEach((e, i) => {
    const j = entries.findIndex((o) => o.name === e.name);
    if (j < i) problems.push(`${at(i)}: token name "${e.name}" is already used at ${at(j)}`);
    const k = entries.findIndex((o) => o.digest.equals(e.digest));
    if (k < i)
      problems.push(`${at(i)}: token "${e.name}" has the same secret as "${entries[k]!.name}" at ${at(k)}`);
  });
  if (problems.length > 0)
    throw new SalveError('SALVE_CONFIG_INVALID', problems.join('; '), { details: { problems } });
}

function readTokens(file: string, text: string): { tokens: TokenIdentity[]; plain: boolean } {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (cause) {
    throw new SalveError('SALVE_CONFIG_INVALID', `${file}: not valid YAML`, { cause });
  }
  // Either a bare list or `tokens: [...]`.
  const list =
    doc !== null && typeof doc === 'object' && !Array.isArray(doc) && 'tokens' in doc ? doc.tokens : doc;
  const result = tokenList.safeParse(list);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${file} ${formatPath(i.path)}: ${i.message}`);
    throw new SalveError('SALVE_CONFIG_INVALID', problems.join('; '), { details: { problems } });
  }
  const entries = result.data;
  if (entries.length === 0) throw new SalveError('SALVE_CONFIG_INVALID', `${file}: no tokens defined`);
  const identities = entries.map((e) => ({
    name: e.name,
    scopes: new Set(e.scopes),
    digest: e.token !== undefined ? sha256(e.token) : Buffer.from(e.sha256!, 'hex'),
  }));
  refuseDuplicates(file, text, identities);
  return { tokens: identities, plain: entries.some((e) => e.token !== undefined) };
}

export function parseTokensFile(file: string, text: string): TokenIdentity[] {
  return readTokens(file, text).tokens;
}

/** A file others can read that holds tokens in plain: anyone on the machine can act through salve. */
function exposure(file: string, plain: boolean): string | null {
  const mode = fs.statSync(file).mode;
  if ((mode & 0o077) === 0 || !plain) return null;
  return (
    `${file} holds tokens in plain and can be read by other users (mode ${(mode & 0o777).toString(8)}): ` +
    'store their SHA-256 digests instead (`salve token create` does), or chmod 600'
  );
}

function formatPath(p: PropertyKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');
}

export type LoadedTokens = {
  tokens: TokenIdentity[];
  generated?: { name: string; token: string; file: string };
  /** Said at start and in /readyz: the file is readable by others and holds plain tokens. */
  warning?: string;
};

/**
 * The tokens in force, read again when the file changes (checked at most once a second, on use): a token
 * revoked with `salve token revoke`, or by updating the Secret, stops working without a restart. A file
 * that changes into something invalid keeps the previous tokens in force, and says so.
 */
export function followTokensFile(
  file: string,
  initial: TokenIdentity[],
  deps: {
    now: () => number;
    onReload(outcome: { ok: true; tokens: number } | { ok: false; error: unknown }): void;
  },
): () => readonly TokenIdentity[] {
  const stamp = () => {
    try {
      const s = fs.statSync(file);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return 'missing';
    }
  };
  let current = initial;
  let seen = stamp();
  let checkedAt = deps.now();
  return () => {
    const now = deps.now();
    if (now - checkedAt < 1_000) return current;
    checkedAt = now;
    const next = stamp();
    if (next === seen) return current;
    seen = next;
    try {
      current = parseTokensFile(file, fs.readFileSync(file, 'utf8'));
      deps.onReload({ ok: true, tokens: current.length });
    } catch (error) {
      deps.onReload({ ok: false, error });
    }
    return current;
  };
}

/**
 * Reads the tokens file. When it does not exist, generates one token with every scope, stores only its
 * digest (mode 0600) and hands the plaintext back so the caller can print it once.
 */
export function loadOrCreateTokens(file: string): LoadedTokens {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SalveError('SALVE_CONFIG_INVALID', `cannot read tokens file ${file}`, { cause: err });
    }
    const token = `salve_${randomBytes(32).toString('base64url')}`;
    const entry = { name: 'admin', scopes: [...scopes], sha256: sha256(token).toString('hex') };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const body = `# Generated by salve on first start. Only digests are stored; add entries as\n# {name, scopes, token} or {name, scopes, sha256}.\n${YAML.stringify([entry])}`;
    // wx: two replicas starting at once must not overwrite each other's token.
    fs.writeFileSync(file, body, { mode: 0o600, flag: 'wx' });
    return { tokens: parseTokensFile(file, body), generated: { name: 'admin', token, file } };
  }
  const { tokens, plain } = readTokens(file, text);
  const warning = exposure(file, plain);
  return { tokens, ...(warning ? { warning } : {}) };
}
