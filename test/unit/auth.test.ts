import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateTokens, parseTokensFile, sha256 } from '../../src/config/tokens.js';
import { createAuthenticator } from '../../src/http/auth.js';

const tokens = parseTokensFile(
  'tokens.yaml',
  `
- { name: am, scopes: [alertmanager], token: am-secret-0123456789 }
- { name: ops, scopes: [operator], sha256: ${sha256('ops-secret-0123456789').toString('hex')} }
- { name: ro, scopes: [viewer], token: ro-secret-0123456789 }
`,
);
const auth = createAuthenticator(tokens);
const basic = (password: string) => `Basic ${Buffer.from(`alertmanager:${password}`).toString('base64')}`;

describe('token authentication', () => {
  it('accepts a bearer token with the required scope', () => {
    expect(auth.authenticate('Bearer am-secret-0123456789', 'alertmanager').name).toBe('am');
  });

  it('accepts Basic auth with the token as password, as Alertmanager sends it', () => {
    expect(auth.authenticate(basic('am-secret-0123456789'), 'alertmanager').name).toBe('am');
  });

  it('matches tokens configured by their sha256 digest', () => {
    expect(auth.authenticate('Bearer ops-secret-0123456789', 'operator').name).toBe('ops');
  });

  it('lets an operator read but not a viewer act', () => {
    expect(auth.authenticate('Bearer ops-secret-0123456789', 'viewer').name).toBe('ops');
    expect(() => auth.authenticate('Bearer ro-secret-0123456789', 'operator')).toThrow(
      expect.objectContaining({ code: 'SALVE_AUTH_FORBIDDEN' }),
    );
  });

  it('refuses a token of another scope, an unknown token and a missing header', () => {
    expect(() => auth.authenticate('Bearer am-secret-0123456789', 'viewer')).toThrow(
      expect.objectContaining({ code: 'SALVE_AUTH_FORBIDDEN' }),
    );
    expect(() => auth.authenticate('Bearer nope', 'alertmanager')).toThrow(
      expect.objectContaining({ code: 'SALVE_AUTH_INVALID' }),
    );
    expect(() => auth.authenticate(undefined, 'alertmanager')).toThrow(
      expect.objectContaining({ code: 'SALVE_AUTH_MISSING' }),
    );
    expect(() => auth.authenticate('Token am-secret-0123456789', 'alertmanager')).toThrow(
      expect.objectContaining({ code: 'SALVE_AUTH_INVALID' }),
    );
  });

  it('digests are SHA-256 of the UTF-8 text, as every earlier version stored them', () => {
    expect(sha256('abc').toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    for (const text of ['', 'am-secret-0123456789', 'jeton-sécret-ünïcode-🔑', 'a'.repeat(10_000)]) {
      expect(sha256(text).equals(createHash('sha256').update(text, 'utf8').digest())).toBe(true);
    }
    const unicode = createAuthenticator(
      parseTokensFile('t.yaml', '- { name: u, scopes: [viewer], token: "jeton-sécret-ünïcode-🔑" }'),
    );
    expect(unicode.authenticate('Bearer jeton-sécret-ünïcode-🔑', 'viewer').name).toBe('u');
  });

  it('refuses near misses: a prefix, an extension, another case, padding, an empty token', () => {
    for (const presented of [
      'Bearer am-secret-012345678',
      'Bearer am-secret-01234567890',
      'Bearer AM-SECRET-0123456789',
      'Bearer am-secret-0123456789\u0000',
      `Bearer ${'am-secret-0123456789'.repeat(1000)}`,
      'Bearer ',
      basic(''),
      `Basic ${Buffer.from('am-secret-0123456789').toString('base64')}`,
    ]) {
      expect(() => auth.authenticate(presented, 'alertmanager'), presented.slice(0, 40)).toThrow(
        expect.objectContaining({ code: 'SALVE_AUTH_INVALID' }),
      );
    }
  });

  it('compares the presented token with every entry, whichever matches', () => {
    const reads: string[] = [];
    const watched = tokens.map((t) => ({
      ...t,
      get digest() {
        reads.push(t.name);
        return t.digest;
      },
    }));
    const counting = createAuthenticator(() => watched);
    for (const [header, scope] of [
      ['Bearer am-secret-0123456789', 'alertmanager'],
      ['Bearer ro-secret-0123456789', 'viewer'],
      ['Bearer unknown-0123456789', 'viewer'],
    ] as const) {
      reads.length = 0;
      try {
        counting.authenticate(header, scope);
      } catch {}
      expect(reads).toEqual(['am', 'ops', 'ro']);
    }
  });

  it('reports every problem of a tokens file with its place', () => {
    expect(() => parseTokensFile('t.yaml', '- { name: x, scopes: [root], token: short }')).toThrow(
      /t\.yaml \[0\]\.scopes\[0\].*t\.yaml \[0\]\.token: tokens must be at least 16 characters/,
    );
  });

  it('generates a token with every scope when the file is missing, storing only its digest with mode 0600', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'salve-tokens-')), 'tokens.yaml');
    const loaded = loadOrCreateTokens(file);
    expect(loaded.generated?.token).toMatch(/^salve_[A-Za-z0-9_-]{43}$/);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(loaded.generated!.token);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const again = loadOrCreateTokens(file);
    expect(again.generated).toBeUndefined();
    const reread = createAuthenticator(again.tokens);
    for (const scope of ['alertmanager', 'operator', 'viewer'] as const) {
      expect(reread.authenticate(`Bearer ${loaded.generated!.token}`, scope).name).toBe('admin');
    }
  });
});
