import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createActionRegistry } from '../../src/actions/registry.js';
import { loadOrCreateAuditKey } from '../../src/audit/key.js';
import { parseTokensFile } from '../../src/config/tokens.js';
import { loadPolicyDir } from '../../src/policy/loader.js';
import { runTool, warnSkip, works } from '../e2e/support/tools.js';
import { repoRoot } from '../support/fixtures.js';

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
};
type Container = {
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  readinessProbe?: { httpGet?: { path: string } };
  livenessProbe?: { httpGet?: { path: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
};
type PodSpec = {
  serviceAccountName?: string;
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
  containers: Container[];
  volumes: Array<{
    name: string;
    persistentVolumeClaim?: { claimName: string };
    configMap?: { name: string };
    secret?: { secretName: string; defaultMode?: number };
    emptyDir?: object;
  }>;
};
type DeploymentSpec = { replicas: number; strategy: { type: string }; template: { spec: PodSpec } };

const hasKubectl = works('kubectl', ['version', '--client']);
if (!hasKubectl)
  warnSkip('kubectl kustomize deploy/kubernetes', 'kubectl', 'https://kubernetes.io/docs/tasks/tools/');

function render(dir: string): K8sObject[] {
  const r = runTool('kubectl', ['kustomize', dir]);
  if (r.code !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${r.out}`);
  return YAML.parseAllDocuments(r.out).map((d) => d.toJS() as K8sObject);
}
const find = (objects: K8sObject[], kind: string, name?: string) =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const deploymentOf = (objects: K8sObject[]) =>
  find(objects, 'Deployment', 'salve')[0]!.spec as DeploymentSpec;
const envOf = (c: Container) =>
  Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

describe.skipIf(!hasKubectl)('deploy/kubernetes', () => {
  const base = hasKubectl ? render('deploy/kubernetes/base') : [];

  it('the base renders every kind salve needs, and nothing cluster-wide but its Namespace and ClusterRole', () => {
    expect(base.map((o) => o.kind).sort()).toEqual(
      [
        'ClusterRole',
        'ConfigMap',
        'Deployment',
        'Namespace',
        'NetworkPolicy',
        'PersistentVolumeClaim',
        'PodDisruptionBudget',
        'RoleBinding',
        'RoleBinding',
        'Secret',
        'Secret',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
      ].sort(),
    );
    expect(find(base, 'ClusterRoleBinding')).toEqual([]);
    for (const o of base.filter((x) => !['Namespace', 'ClusterRole', 'RoleBinding'].includes(x.kind))) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('salve');
    }
  });

  it("grants role.yaml's rules, unchanged, only in the namespaces the policies allow", async () => {
    const role = YAML.parse(fs.readFileSync(path.join(repoRoot, 'deploy/kubernetes/base/role.yaml'), 'utf8'));
    const clusterRole = find(base, 'ClusterRole', 'salve-healer')[0]!;
    expect(clusterRole.rules).toEqual(role.rules);
    const bindings = find(base, 'RoleBinding');
    for (const b of bindings) {
      expect(b.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'salve-healer',
      });
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'salve', namespace: 'salve' }]);
    }
    const configMap = find(base, 'ConfigMap', 'salve-policies')[0]! as K8sObject & {
      data: Record<string, string>;
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-kustomize-'));
    try {
      for (const [file, text] of Object.entries(configMap.data)) fs.writeFileSync(path.join(dir, file), text);
      const { table, problems } = await loadPolicyDir(dir, createActionRegistry());
      expect(problems).toEqual([]);
      const allowed = new Set(table!.policies.flatMap((p) => p.allow?.namespaces ?? []));
      expect(new Set(bindings.map((b) => b.metadata.namespace))).toEqual(allowed);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs one non-root, read-only, capability-free replica with probes, resources and its volumes', () => {
    const d = deploymentOf(base);
    expect(d.replicas).toBe(1);
    expect(d.strategy.type).toBe('Recreate');
    const pod = d.template.spec;
    expect(pod.serviceAccountName).toBe('salve');
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const [c] = pod.containers;
    expect(c!.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(c!.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(c!.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c!.resources?.limits?.memory).toBeDefined();
    expect(c!.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(envOf(c!)).toMatchObject({
      SALVE_LISTEN: '0.0.0.0:9095',
      SALVE_DATA_DIR: '/data',
      SALVE_POLICIES: '/etc/salve/policies',
      SALVE_TOKENS_FILE: '/etc/salve/tokens/tokens.yaml',
      SALVE_AUDIT_KEY_FILE: '/etc/salve/audit/audit.key',
    });
    // Every volume points at an object the base renders.
    const volumes = Object.fromEntries(pod.volumes.map((v) => [v.name, v]));
    expect(find(base, 'PersistentVolumeClaim', volumes.data?.persistentVolumeClaim?.claimName)).toHaveLength(
      1,
    );
    expect(find(base, 'ConfigMap', volumes.policies?.configMap?.name)).toHaveLength(1);
    expect(find(base, 'Secret', volumes.tokens?.secret?.secretName)).toHaveLength(1);
    expect(find(base, 'Secret', volumes['audit-key']?.secret?.secretName)).toHaveLength(1);
    expect(c!.volumeMounts?.map((m) => m.mountPath).sort()).toEqual(
      ['/data', '/etc/salve/audit', '/etc/salve/policies', '/etc/salve/tokens', '/tmp'].sort(),
    );
  });

  it('ships the audit key as a placeholder salve refuses, in a Secret of its own, readable by salve only', () => {
    const secret = find(base, 'Secret', 'salve-audit-key')[0]! as K8sObject & {
      stringData: Record<string, string>;
    };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'salve-key-')), 'audit.key');
    fs.writeFileSync(file, secret.stringData['audit.key']!);
    expect(() => loadOrCreateAuditKey(file, { generate: false })).toThrow(/placeholder/);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    const volume = deploymentOf(base).template.spec.volumes.find((v) => v.name === 'audit-key');
    expect(volume).toEqual({
      name: 'audit-key',
      secret: { secretName: 'salve-audit-key', defaultMode: 0o400 },
    });
  });

  it('ships token digests only, as placeholders that no token matches', () => {
    const secret = find(base, 'Secret', 'salve-tokens')[0]! as K8sObject & {
      stringData: Record<string, string>;
    };
    const text = secret.stringData['tokens.yaml']!;
    const tokens = parseTokensFile('tokens.yaml', text);
    expect(tokens.map((t) => [...t.scopes])).toEqual([['alertmanager'], ['operator'], ['viewer']]);
    expect(text).not.toMatch(/token:/);
    expect(tokens.every((t) => /^0+[0-9]?$/.test(t.digest.toString('hex')))).toBe(true);
  });

  it('the postgres overlay runs several replicas with SALVE_STORE from a Secret and no volume claim', () => {
    const overlay = render('deploy/kubernetes/overlays/postgres');
    expect(find(overlay, 'PersistentVolumeClaim')).toEqual([]);
    const d = deploymentOf(overlay);
    expect(d.replicas).toBeGreaterThanOrEqual(2);
    expect(d.strategy.type).toBe('RollingUpdate');
    const c = d.template.spec.containers[0]!;
    expect(envOf(c).SALVE_STORE).toEqual({ secretKeyRef: { name: 'salve-postgres', key: 'url' } });
    expect(find(overlay, 'Secret', 'salve-postgres')).toHaveLength(1);
    expect(d.template.spec.volumes.find((v) => v.name === 'data')).toEqual({
      name: 'data',
      emptyDir: { sizeLimit: '64Mi' },
    });
    const egress = (
      find(overlay, 'NetworkPolicy', 'salve')[0]!.spec as {
        egress: Array<{ ports: Array<{ port: number }> }>;
      }
    ).egress;
    expect(egress.flatMap((e) => e.ports.map((p) => p.port))).toContain(5432);
    // Everything else is the base's.
    expect(overlay.map((o) => o.kind).sort()).toEqual(
      [...base.map((o) => o.kind).filter((k) => k !== 'PersistentVolumeClaim'), 'Secret'].sort(),
    );
  });
});

describe.skipIf(!hasKubectl)('deploy/kubernetes/components/cluster-scoped', () => {
  /** The base with the component, from an overlay of a user's own (kustomize wants relative paths). */
  function renderWithComponent(): K8sObject[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-cluster-scoped-'));
    try {
      const rel = (p: string) => path.relative(dir, path.join(repoRoot, p));
      fs.writeFileSync(
        path.join(dir, 'kustomization.yaml'),
        YAML.stringify({
          apiVersion: 'kustomize.config.k8s.io/v1beta1',
          kind: 'Kustomization',
          resources: [rel('deploy/kubernetes/base')],
          components: [rel('deploy/kubernetes/components/cluster-scoped')],
        }),
      );
      return render(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('binds the generated ClusterRole (Nodes only) cluster-wide, and Events about Nodes in default only', () => {
    const objects = renderWithComponent();
    const generated = YAML.parse(
      fs.readFileSync(
        path.join(repoRoot, 'deploy/kubernetes/components/cluster-scoped/cluster-role.yaml'),
        'utf8',
      ),
    );
    const clusterRole = find(objects, 'ClusterRole', 'salve-cluster-healer')[0]!;
    expect(clusterRole.rules).toEqual(generated.rules);
    expect(find(objects, 'ClusterRoleBinding')).toEqual([
      expect.objectContaining({
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'salve-cluster-healer' },
        subjects: [{ kind: 'ServiceAccount', name: 'salve', namespace: 'salve' }],
      }),
    ]);
    const events = find(objects, 'Role', 'salve-node-events')[0]!;
    expect(events.metadata.namespace).toBe('default');
    expect(events.rules).toEqual([
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
    ]);
    // The workloads' rules stay bound in the namespaces the policies allow: nothing of them in `default`.
    const inDefault = find(objects, 'RoleBinding').filter((b) => b.metadata.namespace === 'default');
    expect(inDefault.map((b) => b.roleRef)).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'salve-node-events' },
    ]);
  });
});
