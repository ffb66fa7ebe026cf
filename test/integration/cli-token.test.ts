import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createToken, listTokens, revokeToken } from '../../src/config/token-file.js';
import { parseTokensFile, sha256 } from '../../src/config/tokens.js';
import { buildTestApp, type TestApp, testTokens } from '../support/build-test-app.js';
import { runCli } from '../support/run-cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-token-'));
  dirs.push(dir);
  return dir;
}

describe('salve token', () => {
  it('create prints the token once and stores only its digest, 0600; list and revoke work on the same file', async () => {
    const dir = tempDir();
    const env = { SALVE_DATA_DIR: dir, HOME: dir };
    const file = path.join(dir, 'tokens.yaml');
    const created = await runCli(['token', 'create', '--name', 'ci', '--scopes', 'viewer,operator'], env);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^salve_[A-Za-z0-9_-]{43}$/);
    expect(created.stdout).toBe(`${token}\n`);
    expect(created.stderr).toContain('keeps only its SHA-256 digest');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(parseTokensFile(file, text)).toEqual([
      { name: 'ci', scopes: new Set(['viewer', 'operator']), digest: sha256(token) },
    ]);

    const again = await runCli(['token', 'create', '--name', 'ci', '--scopes', 'viewer'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already has a token named "ci"');
    const bad = await runCli(['token', 'create', '--name', 'x', '--scopes', 'viewer,root'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown scope root');

    createToken(file, 'alertmanager', 'alertmanager');
    const listed = await runCli(['token', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe(`ci\tviewer,operator\t${file}:1\nalertmanager\talertmanager\t${file}:2\n`);

    const revoked = await runCli(['token', 'revoke', 'ci'], env);
    expect(revoked.code).toBe(0);
    expect(listTokens(file).map((t) => t.name)).toEqual(['alertmanager']);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  }, 90_000);

  it('keeps the comments of a hand-written file, flags plain tokens, and never removes the last one', () => {
    const file = path.join(tempDir(), 'tokens.yaml');
    fs.writeFileSync(
      file,
      '# our tokens\n- { name: oncall, scopes: [operator], token: "a-plain-token-0123456789" }\n',
      { mode: 0o644 },
    );
    createToken(file, 'dashboards', 'viewer');
    const text = fs.readFileSync(file, 'utf8');
    expect(text.startsWith('# our tokens\n')).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(listTokens(file)).toEqual([
      { name: 'oncall', scopes: ['operator'], stored: 'plain', line: 2 },
      { name: 'dashboards', scopes: ['viewer'], stored: 'digest', line: 3 },
    ]);
    expect(() => revokeToken(file, 'nobody')).toThrow('has no token named "nobody"');
    revokeToken(file, 'oncall');
    expect(() => revokeToken(file, 'dashboards')).toThrow('is the last token');
    expect(() => createToken(file, 'has space', 'viewer')).toThrow(/--name/);
    expect(YAML.parse(fs.readFileSync(file, 'utf8'))).toHaveLength(1);
  });
});

describe('a running salve follows the tokens file', () => {
  let t: TestApp;
  afterEach(async () => {
    await t?.close();
  });

  it('a created token works and a revoked one stops working, without a restart', async () => {
    t = await buildTestApp();
    const file = path.join(t.dir, 'tokens.yaml');
    const ask = (token: string) =>
      t.app.inject({ url: '/v1/heals', headers: { authorization: `Bearer ${token}` } });
    const { token } = createToken(file, 'dashboards', 'viewer');
    await t.clock.advance(1_001);
    expect((await ask(token)).statusCode).toBe(200);
    revokeToken(file, 'viewer');
    await t.clock.advance(1_001);
    expect((await ask(testTokens.viewer)).statusCode).toBe(401);
    // A broken edit keeps the tokens in force and says so.
    fs.writeFileSync(file, '- { name: broken');
    await t.clock.advance(1_001);
    expect((await ask(token)).statusCode).toBe(200);
    expect(
      t.logs
        .lines()
        .some((l) => l.msg === 'tokens file changed but is invalid: the previous tokens stay in force'),
    ).toBe(true);
  });
});
