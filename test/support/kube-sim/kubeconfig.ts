import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export type KubeconfigOptions = {
  /** Default namespace of the context. */
  namespace?: string;
  /** File name inside `dir` (default kubeconfig-<port>.yaml). */
  file?: string;
};

/** A kubeconfig for a plain-HTTP server: client-node refuses http:// unless skipTLSVerify is set. */
export function writeKubeconfig(
  dir: string,
  url: string,
  token: string,
  opts: KubeconfigOptions = {},
): string {
  const port = new URL(url).port;
  const path = join(dir, opts.file ?? `kubeconfig-${port}.yaml`);
  const context: Record<string, string> = { cluster: 'kube-sim', user: 'kube-sim' };
  if (opts.namespace) context.namespace = opts.namespace;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kube-sim', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'kube-sim', user: { token } }],
    contexts: [{ name: 'kube-sim', context }],
    'current-context': 'kube-sim',
    preferences: {},
  };
  writeFileSync(path, stringify(doc), { mode: 0o600 });
  return path;
}
