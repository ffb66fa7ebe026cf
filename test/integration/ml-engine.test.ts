import { afterEach, describe, expect, it } from 'vitest';
import { defaultEngineSettings } from '../../src/engine/context.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { type FakeAirflow, startFakeAirflow } from '../support/fake-airflow.js';
import { type FakeMlflow, startFakeMlflow } from '../support/fake-mlflow.js';
import { type FakeHttp, startFakeHttp } from '../support/fake-webhook.js';

// The ML actions driven by the real engine: an alert opens a heal, the step talks to the fake platform,
// the audit records what moved, and no credential reaches the audit log or the logs.

const MIN = 60_000;
const mlflowToken = 'engine-mlflow-token-1';
const airflowPassword = 'engine-airflow-pw-2';

function accuracyPolicy(mlflowUrl: string): string {
  return `apiVersion: salve/v1
policies:
  - name: accuracy-alias-rollback
    match: ['alertname="ModelAccuracyDrop"']
    target: { kind: Deployment, namespace: ml-prod, name: "{{ labels.deployment }}" }
    allow: { models: [fraud-scorer] }
    steps:
      - action: mlflow.alias
        with: { url: "${mlflowUrl}", model: "{{ labels.model }}", auth: { token: { env: MLFLOW_TOKEN } } }
        verify: { resolved: 1m }
      - action: k8s.restart
        verify: { rollout: 5m, resolved: 10m }
`;
}

function driftPolicy(airflowUrl: string): string {
  return `apiVersion: salve/v1
policies:
  - name: drift-airflow
    match: ['alertname="ModelPredictionDrift"']
    target: { kind: Model, namespace: ml-prod, name: "{{ labels.model }}" }
    steps:
      - action: retrain.airflow
        with:
          url: "${airflowUrl}"
          version: 3
          dag: retrain_model
          auth: { username: salve, password: { env: AIRFLOW_PASSWORD } }
          conf: { model: "{{ labels.model }}" }
          waitForCompletion: true
        verify: { rollout: 2h, resolved: 30m }
`;
}

function hookPolicy(url: string): string {
  return `apiVersion: salve/v1
policies:
  - name: retrain-hook
    match: ['alertname="ModelPredictionDrift"']
    target: { kind: Model, namespace: ml-prod, name: "{{ labels.model }}" }
    steps:
      - action: webhook
        with: { url: "${url}/retrain" }
`;
}

describe('ML actions in the heal engine', () => {
  let h: EngineHarness | undefined;
  let mlflow: FakeMlflow | undefined;
  let airflow: FakeAirflow | undefined;
  let hook: FakeHttp | undefined;
  afterEach(async () => {
    await h?.close();
    await mlflow?.close();
    await airflow?.close();
    await hook?.close();
    h = mlflow = airflow = hook = undefined;
  });

  it('a step whose peer keeps failing makes one request per engine attempt, then fails the step', async () => {
    hook = await startFakeHttp(() => ({ status: 503, body: { message: 'overloaded' } }));
    const { retry } = defaultEngineSettings;
    h = await startEngineHarness({
      policies: { 'hook.yaml': hookPolicy(hook.url) },
      overrides: { engine: { retry } },
    });
    const { opened } = await h.fire('fraud-scorer', { alertname: 'ModelPredictionDrift' });
    await h.run();
    for (let i = 0; i < retry.attempts && (await h.heal(opened[0]!)).state === 'running'; i++) {
      await h.advance(retry.maxMs);
    }
    expect((await h.heal(opened[0]!)).state).toBe('escalated');
    // The engine owns the retries: 4 attempts, 4 requests (the transport repeats none of them).
    expect(hook.requests).toHaveLength(retry.attempts);
    const timeline = await h.timeline(opened[0]!);
    expect(timeline.filter((r) => r.type === 'action.retry')).toHaveLength(retry.attempts - 1);
    expect(timeline.filter((r) => r.type === 'action.failed')).toEqual([
      expect.objectContaining({ outcome: 'SALVE_HTTP_REQUEST_FAILED' }),
    ]);
  });

  it('rolls the champion back, restarts the pods when the alert persists, and audits the versions', async () => {
    mlflow = await startFakeMlflow({
      models: [
        { name: 'fraud-scorer', versions: [{ version: 6 }, { version: 7 }], aliases: { champion: 7 } },
      ],
      token: mlflowToken,
    });
    h = await startEngineHarness({
      policies: { 'ml.yaml': accuracyPolicy(mlflow.url) },
      overrides: { env: { MLFLOW_TOKEN: mlflowToken } },
    });
    const { opened } = await h.fire('fraud-scorer', { alertname: 'ModelAccuracyDrop' });
    await h.run();
    expect(mlflow.alias('fraud-scorer', 'champion')).toBe(6);
    expect(h.patches()).toHaveLength(0);

    await h.advance(MIN + 1_000); // still firing after the alias moved: restart so the pods load it
    expect(h.patches()).toHaveLength(1);
    await h.advance(2_000);
    await h.resolve('fraud-scorer', { alertname: 'ModelAccuracyDrop' });
    await h.run();
    const heal = await h.heal(opened[0]!);
    expect(heal).toMatchObject({ state: 'resolved', reason: 'alerts_resolved' });
    const finished = (await h.timeline(heal.id)).filter((r) => r.type === 'action.finished');
    expect(finished.map((r) => [r.data.action, r.outcome])).toEqual([
      ['mlflow.alias', 'changed'],
      ['k8s.restart', 'changed'],
    ]);
    expect(finished[0]!.data.result).toMatchObject({ fromVersion: 7, toVersion: 6 });
    // The alias moved once, however often the engine looked at the heal.
    expect(mlflow.writes.filter((w) => w.startsWith('alias'))).toEqual(['alias champion=6']);
    const audit = JSON.stringify(await h.timeline(heal.id));
    expect(audit).toContain('MLFLOW_TOKEN');
    expect(audit).not.toContain(mlflowToken);
    expect(h.logs.text()).not.toContain(mlflowToken);
  });

  it('triggers one Airflow run and waits for it: a failed DAG run fails the step and escalates', async () => {
    airflow = await startFakeAirflow({
      version: 3,
      username: 'salve',
      password: airflowPassword,
      dags: ['retrain_model'],
    });
    h = await startEngineHarness({
      policies: { 'ml.yaml': driftPolicy(airflow.url) },
      overrides: { env: { AIRFLOW_PASSWORD: airflowPassword } },
    });
    const { opened } = await h.fire('fraud-scorer', { alertname: 'ModelPredictionDrift' });
    await h.run();
    expect(airflow.runs).toHaveLength(1);
    expect(airflow.runs[0]!.conf).toEqual({ model: 'fraud-scorer' });
    await h.advance(2_000);
    expect(await h.heal(opened[0]!)).toMatchObject({ state: 'verifying', stage: 'rollout' });
    airflow.setState(airflow.runs[0]!.dag_run_id, 'failed');
    await h.advance(2_000);
    const heal = await h.heal(opened[0]!);
    expect(heal.state).toBe('escalated');
    const rollout = (await h.timeline(heal.id)).find((r) => r.type === 'verify.rollout');
    expect(rollout).toMatchObject({ outcome: 'failed' });
    expect(String(rollout?.data.detail)).toContain('is failed');
    expect(airflow.runs).toHaveLength(1);
    expect(h.logs.text()).not.toContain(airflowPassword);
  });
});
