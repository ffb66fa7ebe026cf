import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

// The data directory a test runs salve on, in process or as a child: written here once.

export const testTokens = {
  alertmanager: 'am-token-0123456789abcdef',
  operator: 'op-token-0123456789abcdef',
  viewer: 'viewer-token-0123456789abcdef',
} as const;

/**
 * The audit key every test data directory gets (as `audit.key`): replicas in a test share it, as replicas share
 * one from a Secret. Stores opened directly use `testAuditKey` (store-contract.ts), the same key.
 */
export const testAuditKeySecret = 'salve-test-audit-key-0123456789abcdef';

export const servingPolicy = `apiVersion: salve/v1
policies:
  - name: scorer-error-rate
    description: Restart, then roll back the scorer when its error rate is high
    match:
      - alertname="ModelServingErrorRate"
      - severity=~"critical|page"
    target:
      kind: Deployment
      namespace: "{{ labels.namespace }}"
      name: "{{ labels.deployment }}"
    allow: { namespaces: [ml-prod, ml-staging] }
    steps:
      - action: k8s.restart
        verify: { rollout: 5m, resolved: 10m }
      - action: k8s.rollback
        verify: { rollout: 5m, resolved: 15m }
`;

export type SalveDir = {
  dir: string;
  policiesDir: string;
  /** What a child `salve serve` needs to run on this directory, and nothing from the machine (HOME). */
  env: { SALVE_DATA_DIR: string; SALVE_POLICIES: string; HOME: string };
};

/** A data directory with policy files, the test tokens and the test audit key, as an operator would prepare one. */
export function prepareSalveDir(
  policies: Record<string, string> = { 'serving.yaml': servingPolicy },
  existing?: string,
): SalveDir {
  const dir = existing ?? fs.mkdtempSync(path.join(os.tmpdir(), 'salve-test-'));
  const policiesDir = path.join(dir, 'policies');
  fs.mkdirSync(policiesDir, { recursive: true });
  for (const [name, text] of Object.entries(policies)) fs.writeFileSync(path.join(policiesDir, name), text);
  const keyFile = path.join(dir, 'audit.key');
  if (!fs.existsSync(keyFile)) fs.writeFileSync(keyFile, `${testAuditKeySecret}\n`, { mode: 0o600 });
  const tokensFile = path.join(dir, 'tokens.yaml');
  if (!fs.existsSync(tokensFile)) writeTokensFile(tokensFile, testTokens);
  return { dir, policiesDir, env: { SALVE_DATA_DIR: dir, SALVE_POLICIES: policiesDir, HOME: dir } };
}

/** A tokens file holding one token per scope, each named after its scope. */
export function writeTokensFile(file: string, tokens: Readonly<Record<string, string>>): void {
  const entries = Object.entries(tokens).map(([scope, token]) => ({ name: scope, scopes: [scope], token }));
  fs.writeFileSync(file, YAML.stringify(entries), { mode: 0o600 });
}

/**
 * What replica `i` of several sharing one data directory's policies, tokens and audit key needs (as replicas
 * share them from one ConfigMap and one Secret); each keeps a data directory of its own.
 */
export function replicaEnv(shared: SalveDir, i: number): Record<string, string> {
  return {
    SALVE_DATA_DIR: path.join(shared.dir, `replica-${i}`),
    SALVE_POLICIES: shared.policiesDir,
    SALVE_TOKENS_FILE: path.join(shared.dir, 'tokens.yaml'),
    SALVE_AUDIT_KEY_FILE: path.join(shared.dir, 'audit.key'),
    HOME: shared.dir,
  };
}
