import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { SalveError } from '../errors.js';
import { parseTokensFile, type Scope, scopes, sha256 } from './tokens.js';

// `salve token create | list | revoke`: edits the tokens file as an operator would by hand, keeping its
// comments and layout, storing only digests, and leaving the file readable by its owner only.

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export type TokenEntry = { name: string; scopes: Scope[]; stored: 'digest' | 'plain'; line: number };

function read(file: string): YAML.Document {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new YAML.Document([]);
    throw new SalveError('SALVE_CONFIG_INVALID', `cannot read tokens file ${file}`, { cause: err });
  }
  // Refuse to edit a file salve itself would refuse: duplicates, bad scopes, bad YAML.
  parseTokensFile(file, text);
  return YAML.parseDocument(text);
}

function entriesOf(doc: YAML.Document): YAML.YAMLSeq {
  const root = doc.contents;
  const seq = YAML.isMap(root) ? root.get('tokens', true) : root;
  if (!YAML.isSeq(seq))
    throw new SalveError('SALVE_CONFIG_INVALID', 'the tokens file is not a list of tokens');
  return seq;
}

/** Writes next to the file and renames over it: a crash never leaves half a tokens file. Mode 0600. */
function write(file: string, doc: YAML.Document): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  // One line per token (lineWidth 0): a flow entry is not folded over several lines.
  fs.writeFileSync(temp, doc.toString({ lineWidth: 0 }), { mode: 0o600 });
  fs.chmodSync(temp, 0o600);
  fs.renameSync(temp, file);
}

function parseScopes(list: string): Scope[] {
  const asked = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = asked.filter((s) => !(scopes as readonly string[]).includes(s));
  if (asked.length === 0 || unknown.length > 0) {
    throw new SalveError(
      'SALVE_REQUEST_INVALID',
      `--scopes: ${unknown.length > 0 ? `unknown scope ${unknown.join(', ')}` : 'none given'}; scopes are ${scopes.join(', ')}`,
    );
  }
  return [...new Set(asked)] as Scope[];
}

/** A new random token: its digest goes into the file, the token itself only to the caller. */
export function createToken(
  file: string,
  name: string,
  scopeList: string,
): { token: string; scopes: Scope[] } {
  if (!NAME.test(name)) {
    throw new SalveError(
      'SALVE_REQUEST_INVALID',
      `--name ${JSON.stringify(name)}: expected letters, digits, . _ - (at most 63, starting with a letter or digit)`,
    );
  }
  const granted = parseScopes(scopeList);
  const doc = read(file);
  if (doc.contents === null || (YAML.isSeq(doc.contents) && doc.contents.items.length === 0))
    doc.contents = doc.createNode([]) as YAML.YAMLSeq;
  const seq = entriesOf(doc);
  if (seq.items.some((item) => YAML.isMap(item) && item.get('name') === name)) {
    throw new SalveError(
      'SALVE_REQUEST_INVALID',
      `${file} already has a token named ${JSON.stringify(name)}`,
    );
  }
  const token = `salve_${randomBytes(32).toString('base64url')}`;
  const entry = doc.createNode({ name, scopes: granted, sha256: sha256(token).toString('hex') });
  entry.flow = true;
  seq.add(entry);
  write(file, doc);
  return { token, scopes: granted };
}

export function listTokens(file: string): TokenEntry[] {
  const lineCounter = new YAML.LineCounter();
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '[]';
  parseTokensFile(file, text);
  const seq = entriesOf(YAML.parseDocument(text, { lineCounter }));
  return seq.items.flatMap((item) => {
    if (!YAML.isMap(item)) return [];
    const json = item.toJSON() as { name: string; scopes: Scope[]; token?: string };
    return [
      {
        name: json.name,
        scopes: json.scopes,
        stored: json.token === undefined ? 'digest' : 'plain',
        line: item.range ? lineCounter.linePos(item.range[0]).line : 0,
      },
    ];
  });
}

/** Removes the named token. The last one stays: without any, salve would not start. */
export function revokeToken(file: string, name: string): void {
  const doc = read(file);
  const seq = entriesOf(doc);
  const index = seq.items.findIndex((item) => YAML.isMap(item) && item.get('name') === name);
  if (index < 0)
    throw new SalveError('SALVE_REQUEST_INVALID', `${file} has no token named ${JSON.stringify(name)}`);
  if (seq.items.length === 1) {
    throw new SalveError(
      'SALVE_REQUEST_INVALID',
      `${JSON.stringify(name)} is the last token in ${file}: create its replacement first`,
    );
  }
  seq.items.splice(index, 1);
  write(file, doc);
}
