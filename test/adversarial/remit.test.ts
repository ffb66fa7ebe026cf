import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createActionRegistry } from '../../src/actions/registry.js';
import { webhookPayloadSchema } from '../../src/alerts/schema.js';
import { loadPolicyText } from '../../src/policy/loader.js';
import { formatProblem } from '../../src/policy/problems.js';
import { explainPayload } from '../../src/service/explain.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { type FakeArgo, startFakeArgo } from '../support/fake-argo.js';
import { type FakeMlflow, startFakeMlflow } from '../support/fake-mlflow.js';
import { payload, repoRoot } from '../support/fixtures.js';

// Class 1: an alert's labels are hostile. Whatever a policy lets them fill that designates *what* is acted
// on (a namespace, a model, a DAG, a pipeline) must be written in the policy or bounded by an `allow` list:
// at load time, when the alert arrives, and again by the `allowed` guard right before acting.

const registry = createActionRegistry();
const argoToken = 'argo-token-0123456789';

function topLevelKeys(schema: z.ZodType): string[] {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any' }) as {
    properties?: Record<string, unknown>;
    anyOf?: Array<{ properties?: Record<string, unknown> }>;
  };
  const variants = json.anyOf ?? [json];
  return [...new Set(variants.flatMap((v) => Object.keys(v.properties ?? {})))];
}

function policyFile(body: string): string {
  return `apiVersion: salve/v1\npolicies:\n${body}`;
}

describe('every parameter that decides what is acted on is declared', () => {
  it.each([...registry.values()].map((a) => [a.kind, a] as const))('%s', (kind, action) => {
    const classified = new Set([
      ...Object.keys(action.designators ?? {}),
      ...(action.literalParams ?? []),
      ...Object.keys(action.dataParams ?? {}),
    ]);
    // A new parameter is classified in its action: a designator (with its allow list), literal-only, or data.
    const unclassified = topLevelKeys(action.params).filter((key) => !classified.has(key));
    expect(
      unclassified,
      `${kind}: declare each of these in its action as designators, literalParams or dataParams`,
    ).toEqual([]);
  });
});

describe('loading: a designator filled from an alert needs its bound', () => {
  const unbounded: ReadonlyArray<{ action: string; with: string; param: string; list: string }> = [
    {
      action: 'mlflow.alias',
      with: '{ url: "https://mlflow.example", model: "{{ labels.model }}" }',
      param: 'model',
      list: 'models',
    },
    {
      action: 'mlflow.alias',
      with: '{ url: "https://mlflow.example", model: fraud, alias: "{{ labels.alias }}" }',
      param: 'alias',
      list: 'aliases',
    },
    {
      action: 'mlflow.alias',
      with: '{ url: "https://mlflow.example", model: fraud, toVersion: "{{ labels.good }}" }',
      param: 'toVersion',
      list: 'modelVersions',
    },
    {
      action: 'retrain.airflow',
      with: '{ url: "https://airflow.example", dag: "retrain_{{ labels.model }}" }',
      param: 'dag',
      list: 'dags',
    },
    {
      action: 'retrain.kubeflow',
      with: '{ url: "https://kfp.example", pipelineId: "{{ labels.pipeline }}" }',
      param: 'pipelineId',
      list: 'pipelines',
    },
    {
      action: 'retrain.kubeflow',
      with: '{ url: "https://kfp.example", pipelineId: p, experimentId: "{{ labels.exp }}" }',
      param: 'experimentId',
      list: 'experiments',
    },
    {
      action: 'retrain.kubeflow',
      with: '{ url: "https://kfp.example", pipelineId: p, pipelineVersionId: "{{ labels.v }}" }',
      param: 'pipelineVersionId',
      list: 'pipelineVersions',
    },
  ];

  it.each(unbounded)('$action with.$param from a label, no allow.$list: refused with file:line', (c) => {
    const text = policyFile(`  - name: p
    match: [alertname="X"]
    target: { kind: Deployment, namespace: ml-prod, name: scorer }
    steps:
      - action: ${c.action}
        with: ${c.with}
`);
    const { table, problems } = loadPolicyText('policies/remit.yaml', text, registry);
    expect(table).toBeNull();
    expect(problems.map(formatProblem)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^policies/remit\\.yaml:8:\\d+ policies\\[0\\]\\.steps\\[0\\]\\.with\\.${c.param}: .*allow\\.${c.list}`,
        ),
      ),
    ]);
    // With the list, the same policy loads.
    const bounded = text.replace(
      'target: { kind: Deployment, namespace: ml-prod, name: scorer }',
      `target: { kind: Deployment, namespace: ml-prod, name: scorer }\n    allow: { ${c.list}: [a, b] }`,
    );
    expect(loadPolicyText('policies/remit.yaml', bounded, registry).problems).toEqual([]);
  });

  it('keeps `allow: { namespaces: [...] }` as it was, and names an unknown list', () => {
    const ok = policyFile(`  - name: p
    match: [alertname="X"]
    target: { kind: Deployment, namespace: "{{ labels.namespace }}", name: "{{ labels.deployment }}" }
    allow: { namespaces: [ml-prod, ml-staging] }
    steps: [ { action: k8s.restart } ]
`);
    expect(loadPolicyText('p.yaml', ok, registry).problems).toEqual([]);
    const typo = ok.replace('namespaces: [ml-prod, ml-staging]', 'namespaces: [ml-prod], modles: [x]');
    expect(loadPolicyText('p.yaml', typo, registry).problems.map(formatProblem)).toEqual([
      expect.stringContaining('p.yaml:6:'),
    ]);
  });
});

describe('at run time: no label can move a step outside its bounds', () => {
  let h: EngineHarness | undefined;
  let t: TestApp | undefined;
  let argo: FakeArgo | undefined;
  let mlflow: FakeMlflow | undefined;
  afterEach(async () => {
    await h?.close();
    await t?.close();
    await argo?.close();
    await mlflow?.close();
    h = t = argo = mlflow = undefined;
  });

  const argoPolicy = (url: string, namespaces: string) =>
    policyFile(`  - name: retrain-argo
    match: [alertname="ModelPredictionDrift"]
    target: { kind: Deployment, namespace: ml-prod, name: "{{ labels.deployment }}" }
    allow: { namespaces: [${namespaces}] }
    steps:
      - action: retrain.argo
        with:
          url: "${url}"
          namespace: "{{ labels.workflow_namespace }}"
          workflowTemplate: retrain
          token: { env: ARGO_TOKEN }
`);

  async function argoHarness(namespaces: string): Promise<EngineHarness> {
    argo = await startFakeArgo({
      token: argoToken,
      templates: { 'ml-prod': ['retrain'], 'ml-train': ['retrain'], 'kube-system': ['retrain'] },
    });
    h = await startEngineHarness({
      policies: { 'argo.yaml': argoPolicy(argo.url, namespaces) },
      overrides: { env: { ARGO_TOKEN: argoToken } },
    });
    return h;
  }

  const drift = (labels: Record<string, string>) =>
    payload([{ labels: { alertname: 'ModelPredictionDrift', deployment: 'scorer', ...labels } }]);

  it.each(['kube-system', 'default', 'ml-prod-evil'])(
    'retrain.argo namespace from a label "%s" outside allow.namespaces: refused, audited, nothing submitted',
    async (namespace) => {
      const harness = await argoHarness('ml-prod, ml-train');
      const res = await harness.deliver(drift({ workflow_namespace: namespace }));
      expect(res.json()).toMatchObject({ heals: { opened: [] }, refused: 1 });
      await harness.run();
      expect(argo?.requests).toEqual([]);
      const refused = await harness.deps.store.queryAudit({ type: 'policy.refused', limit: 10 });
      expect(refused).toEqual([
        expect.objectContaining({
          outcome: 'not_allowed',
          data: expect.objectContaining({
            detail: `steps[0].with.namespace "${namespace}" is not in allow.namespaces (ml-prod, ml-train)`,
          }),
        }),
      ]);
    },
  );

  it('inside its bounds the workflow is submitted in the namespace the label chose', async () => {
    const harness = await argoHarness('ml-prod, ml-train');
    const res = await harness.deliver(drift({ workflow_namespace: 'ml-train' }));
    expect(res.json().heals.opened).toHaveLength(1);
    await harness.run();
    expect(argo?.workflows.map((w) => w.metadata.namespace)).toEqual(['ml-train']);
  });

  it('the allowed guard checks again before acting: a list narrowed after the heal opened refuses it', async () => {
    const harness = await argoHarness('ml-prod, ml-train');
    const res = await harness.deliver(drift({ workflow_namespace: 'ml-train' }));
    const [id] = res.json().heals.opened.map((x: { id: string }) => x.id);
    fs.writeFileSync(path.join(harness.policiesDir, 'argo.yaml'), argoPolicy(argo!.url, 'ml-prod'));
    expect((await harness.deps.policies.reload()).ok).toBe(true);
    await harness.run();
    expect(argo?.requests).toEqual([]);
    const heal = await harness.heal(id);
    expect(heal).toMatchObject({ state: 'refused', reason: 'not_allowed' });
    const refusal = (await harness.timeline(id)).find((r) => r.type === 'guard.refused');
    expect(refusal?.data.detail).toBe(
      'steps[0].with.namespace "ml-train" is not in allow.namespaces (ml-prod)',
    );
  });

  it('an MLflow model from a label outside allow.models is refused; a manual heal too (422)', async () => {
    mlflow = await startFakeMlflow({
      models: [
        { name: 'payments-risk', versions: [{ version: 1 }, { version: 2 }], aliases: { champion: 2 } },
      ],
    });
    const policy = policyFile(`  - name: alias-rollback
    match: [alertname="ModelAccuracyDrop"]
    target: { kind: Deployment, namespace: ml-prod, name: "{{ labels.deployment }}" }
    allow: { models: [fraud-scorer] }
    steps:
      - action: mlflow.alias
        with: { url: "${mlflow.url}", model: "{{ labels.model }}" }
`);
    t = await buildTestApp({ policies: { 'm.yaml': policy } });
    for (const model of ['payments-risk', 'fraud-scorer-v2', '../fraud-scorer', 'FRAUD-SCORER']) {
      const res = await t.deliver(
        payload([{ labels: { alertname: 'ModelAccuracyDrop', deployment: 'scorer', model } }]),
      );
      expect(res.json()).toMatchObject({ heals: { opened: [] }, refused: 1 });
      const manual = await t.app.inject({
        method: 'POST',
        url: '/v1/heals',
        headers: t.auth('operator'),
        payload: { policy: 'alias-rollback', labels: { deployment: 'scorer', model }, reason: 'try' },
      });
      expect(manual.statusCode).toBe(422);
      expect(manual.json().error.message).toContain('allow.models');
    }
    expect(mlflow.requests).toEqual([]);
  });

  it('allow.names bounds the target name when a policy wants more than its namespace', async () => {
    t = await buildTestApp({
      policies: {
        'n.yaml': policyFile(`  - name: named
    match: [alertname="ModelServingErrorRate"]
    target: { kind: Deployment, namespace: ml-prod, name: "{{ labels.deployment }}" }
    allow: { names: [fraud-scorer] }
    steps: [ { action: k8s.restart } ]
`),
      },
    });
    const fire = (deployment: string) =>
      t!.deliver(payload([{ labels: { alertname: 'ModelServingErrorRate', deployment } }]));
    expect((await fire('coredns')).json()).toMatchObject({ heals: { opened: [] }, refused: 1 });
    expect((await fire('fraud-scorer')).json().heals.opened).toHaveLength(1);
  });
});

describe('salve test and POST /v1/policies/test show the bounds', () => {
  it('names each designator with what bounds it', async () => {
    const text = policyFile(`  - name: retrain-argo
    match: [alertname="ModelPredictionDrift"]
    target: { kind: Deployment, namespace: "{{ labels.namespace }}", name: "{{ labels.deployment }}" }
    allow: { namespaces: [ml-prod, ml-train] }
    steps:
      - action: retrain.argo
        with:
          url: "https://argo.example"
          namespace: ml-train
          workflowTemplate: "retrain-{{ labels.model }}"
`);
    const { table } = loadPolicyText('p.yaml', text, registry);
    const explained = await explainPayload(
      webhookPayloadSchema.parse(
        payload([
          {
            labels: {
              alertname: 'ModelPredictionDrift',
              namespace: 'ml-prod',
              deployment: 'scorer',
              model: 'fraud',
            },
          },
        ]),
      ),
      { table: table!, registry, dryRun: false },
    );
    expect(explained.alerts[0]?.outcomes[0]).toMatchObject({
      remit: [
        { field: 'target.namespace', value: 'ml-prod', bound: 'allow.namespaces' },
        { field: 'target.name', value: 'scorer', bound: 'namespace' },
        { field: 'steps[0].with.namespace', value: 'ml-train', bound: 'literal' },
        { field: 'steps[0].with.workflowTemplate', value: 'retrain-fraud', bound: 'namespace' },
      ],
    });
  });
});

describe('the README documents every bound', () => {
  it('names each designator with its allow list', () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('| `allow` list |'), readme.indexOf('```yaml\n  allow:'));
    for (const action of registry.values()) {
      for (const [param, d] of Object.entries(action.designators ?? {})) {
        const row = table.split('\n').find((line) => line.includes(`\`${d.allow}\``));
        expect(row, `allow.${d.allow}`).toBeDefined();
        expect(row).toContain(`\`${action.kind}\``);
        expect(row).toContain(`\`${param}\``);
        expect(row).toContain(d.allow === 'namespaces' || !d.within ? '| yes' : '| no');
      }
    }
  });
});
