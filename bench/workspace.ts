import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The token the load generator presents; a bench-only secret, never a real one. */
export const benchToken = 'bench-alertmanager-token-0123456789';
/** Reads (GET /v1/audit/verify) during the load, for the verify section. */
export const benchViewerToken = 'bench-viewer-token-0123456789abcdef';

export type Workspace = { dir: string; remove(): void };

/**
 * A fresh data directory holding the example policies shipped in policies/ (what salve loads by default),
 * or only `policyText` when given, a tokens file with one `alertmanager`-scoped token, and an audit key (salve
 * generates one for SQLite on its own, but on PostgreSQL it must exist, as a Secret shared by the replicas).
 */
export function createWorkspace(parent: string, label: string, policyText?: string): Workspace {
  const dir = fs.mkdtempSync(path.join(parent, `salve-bench-${label}-`));
  const policies = path.join(dir, 'policies');
  fs.mkdirSync(policies);
  if (policyText !== undefined) {
    fs.writeFileSync(path.join(policies, 'bench.yaml'), policyText);
  } else {
    const source = path.join(repoRoot, 'policies');
    for (const name of fs.readdirSync(source).filter((n) => /\.ya?ml$/.test(n))) {
      fs.copyFileSync(path.join(source, name), path.join(policies, name));
    }
  }
  fs.writeFileSync(
    path.join(dir, 'tokens.yaml'),
    YAML.stringify([
      { name: 'alertmanager', scopes: ['alertmanager'], token: benchToken },
      { name: 'viewer', scopes: ['viewer'], token: benchViewerToken },
    ]),
  );
  fs.writeFileSync(path.join(dir, 'audit.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
