import { afterEach, describe, expect, it } from 'vitest';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { type FakePrefect, startFakePrefect } from '../support/fake-prefect.js';

// retrain.prefect driven by the real engine: the flow run is created once per heal step, even when a step is
// retried, and verify.rollout follows the run to a terminal state.

const MIN = 60_000;
const apiKey = 'pnu_engine0123456789abcdefghijklmnopq';
const account = '0f2b5d4e-1111-4c3a-9d7e-2a6b8c9d0e1f';
const workspace = '7e6d5c4b-2222-4a1b-8c9d-0e1f2a3b4c5d';

function driftPolicy(url: string): string {
  return `apiVersion: salve/v1
policies:
  - name: drift-prefect
    match: ['alertname="ModelPredictionDrift"']
    target: { kind: Model, namespace: ml-prod, name: "{{ labels.model }}" }
    steps:
      - action: retrain.prefect
        with:
          url: "${url}"
          deployment: retrain-fraud/nightly
          parameters: { model: "{{ labels.model }}" }
          auth: { token: { env: PREFECT_API_KEY } }
          waitForCompletion: true
        verify: { rollout: 2h, resolved: 30m }
`;
}

describe('retrain.prefect in the heal engine', () => {
  let h: EngineHarness | undefined;
  let prefect: FakePrefect | undefined;
  afterEach(async () => {
    await h?.close();
    await prefect?.close();
    h = prefect = undefined;
  });

  const start = async () => {
    prefect = await startFakePrefect({
      deployments: [{ flow: 'retrain-fraud', name: 'nightly' }],
      auth: { kind: 'cloud', account, workspace, apiKey },
    });
    // A Prefect Cloud URL: the fake serves the account/workspace path on 127.0.0.1.
    h = await startEngineHarness({
      policies: { 'p.yaml': driftPolicy(prefect.apiUrl) },
      overrides: { env: { PREFECT_API_KEY: apiKey } },
    });
    return h;
  };

  it('creates one run despite a failed attempt, waits while it runs, and verifies once it completes', async () => {
    await start();
    prefect!.failNext(503, 1, /create_flow_run$/);
    const { opened } = await h!.fire('fraud', { alertname: 'ModelPredictionDrift' });
    const id = opened[0]!;
    await h!.run();
    expect(await h!.heal(id)).toMatchObject({ state: 'running', attempt: 1 });
    await h!.advance(MIN);
    expect(prefect!.runs).toHaveLength(1);
    const run = prefect!.runs[0]!;
    expect(run).toMatchObject({ idempotency_key: `salve-${id}-1`, parameters: { model: 'fraud' } });
    expect(await h!.heal(id)).toMatchObject({ state: 'verifying', stage: 'rollout' });

    prefect!.setState(run.id, 'RUNNING');
    await h!.advance(10 * MIN);
    expect((await h!.heal(id)).stage).toBe('rollout');
    prefect!.setState(run.id, 'COMPLETED', 'All states completed.');
    await h!.advance(MIN);
    expect((await h!.heal(id)).stage).toBe('resolve');
    const rollout = (await h!.timeline(id)).find((r) => r.type === 'verify.rollout');
    expect(rollout).toMatchObject({
      outcome: 'done',
      data: {
        detail: `flow run salve-${id}-1 of deployment retrain-fraud/nightly is Completed (COMPLETED): All states completed.`,
      },
    });
    await h!.resolve('fraud', { alertname: 'ModelPredictionDrift' });
    await h!.run();
    expect((await h!.heal(id)).state).toBe('resolved');
    expect(prefect!.runs).toHaveLength(1);
    const audit = JSON.stringify(await h!.timeline(id));
    expect(audit).not.toContain(apiKey);
    expect(h!.logs.text()).not.toContain(apiKey);
  });

  it('fails the step with the state message when the run crashes, and escalates', async () => {
    await start();
    const { opened } = await h!.fire('fraud', { alertname: 'ModelPredictionDrift' });
    const id = opened[0]!;
    await h!.run();
    prefect!.setState(
      prefect!.runs[0]!.id,
      'CRASHED',
      'Flow run infrastructure exited with non-zero status code 137.',
    );
    await h!.advance(MIN);
    const heal = await h!.heal(id);
    expect(heal.state).toBe('escalated');
    const rollout = (await h!.timeline(id)).find((r) => r.type === 'verify.rollout');
    expect(rollout).toMatchObject({
      outcome: 'failed',
      data: {
        detail: `flow run salve-${id}-1 of deployment retrain-fraud/nightly is Crashed (CRASHED): Flow run infrastructure exited with non-zero status code 137.`,
      },
    });
  });
});
