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
