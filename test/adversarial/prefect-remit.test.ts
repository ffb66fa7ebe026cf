import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { type FakePrefect, startFakePrefect } from '../support/fake-prefect.js';
import { payload } from '../support/fixtures.js';

// An alert's labels choose which Prefect deployment retrain.prefect runs only within allow.deployments; they
// never choose the server, the credential, or a path outside /deployments/name/{flow}/{deployment}.

const authString = 'salve:pr3fect-pass-word';

describe('retrain.prefect: what an alert may choose', () => {
  let t: TestApp | undefined;
  let prefect: FakePrefect | undefined;
  afterEach(async () => {
    await t?.close();
    await prefect?.close();
    t = prefect = undefined;
  });

  const start = async () => {
    prefect = await startFakePrefect({
      deployments: [
        { flow: 'retrain', name: 'fraud' },
        { flow: 'retrain', name: 'payments' },
        { flow: 'admin', name: 'drop-tables' },
      ],
      auth: { kind: 'basic', authString },
    });
    const policy = `apiVersion: salve/v1
policies:
  - name: retrain-prefect
    match: [alertname="ModelPredictionDrift"]
    target: { kind: Deployment, namespace: ml-prod, name: "{{ labels.deployment }}" }
    allow: { deployments: [retrain/fraud] }
    steps:
      - action: retrain.prefect
        with:
          url: "${prefect.apiUrl}"
          deployment: "retrain/{{ labels.model }}"
          parameters: { model: "{{ labels.model }}" }
          auth: { authString: { env: PREFECT_AUTH } }
`;
    t = await buildTestApp({
      policies: { 'p.yaml': policy },
      overrides: { env: { PREFECT_AUTH: authString } },
    });
    return t;
  };
  const drift = (model: string) =>
    payload([{ labels: { alertname: 'ModelPredictionDrift', deployment: 'scorer', model } }]);

  it.each(['payments', '../admin/drop-tables', 'fraud/../../admin', 'fraud%2F..', 'frau<d'])(
    'a model label %j outside allow.deployments, or no name at all, is refused and nothing reaches Prefect',
    async (model) => {
      const app = await start();
      const res = await app.deliver(drift(model));
      expect(res.json()).toMatchObject({ heals: { opened: [] }, refused: 1 });
      await app.deps.engine.drain();
      expect(prefect?.requests).toEqual([]);
      const manual = await app.app.inject({
        method: 'POST',
        url: '/v1/heals',
        headers: app.auth('operator'),
        payload: { policy: 'retrain-prefect', labels: { deployment: 'scorer', model }, reason: 'try' },
      });
      expect(manual.statusCode).toBe(422);
    },
  );

  it('inside its bounds, the run is created once, with the label only as data', async () => {
    const app = await start();
    const res = await app.deliver(drift('fraud'));
    expect(res.json().heals.opened).toHaveLength(1);
    await app.deps.engine.drain();
    expect(prefect?.runs).toHaveLength(1);
    expect(prefect?.runs[0]).toMatchObject({ parameters: { model: 'fraud' }, tags: ['salve'] });
    expect(prefect?.requests.every((r) => r.path.startsWith('/api/'))).toBe(true);
  });
});
