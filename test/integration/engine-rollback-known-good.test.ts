import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type EngineHarness, firstStartsAt, startEngineHarness } from '../support/engine-harness.js';
import { payload } from '../support/fixtures.js';
import { imageOf } from '../support/kube-action-harness.js';

// The example policy scorer-error-rate (policies/serving.yaml) restarts, then rolls back. The restart makes a
// revision of its own with the failing image; the rollback must not land on it (kubectl's "previous") but on
// the release that ran before the alert began.

const MIN = 60_000;
const OLD = 'registry.example/fraud-scorer:1.4.0';
const BAD = 'registry.example/fraud-scorer:1.5.0';
const examplePolicies = { 'serving.yaml': fs.readFileSync('policies/serving.yaml', 'utf8') };
const labels = {
  alertname: 'ModelServingErrorRate',
  severity: 'critical',
  namespace: 'ml-prod',
  deployment: 'fraud-scorer',
  model: 'fraud-scorer',
};

describe('the example policy restart → rollback, through the engine', () => {
  let h: EngineHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('rolls back to the release from before the incident, and the timeline says which and why', async () => {
    h = await startEngineHarness({ policies: examplePolicies });
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    await h.advance(2_000); // the restart rolled out: revision 3, still the failing image
    expect(imageOf(h.sim.objects.get('apps/v1', 'Deployment', 'ml-prod', 'fraud-scorer')!)).toBe(BAD);
    await h.advance(10 * MIN); // still firing at step 1's deadline: step 2 rolls back
    await h.advance(2_000);
    const deployment = h.sim.objects.get('apps/v1', 'Deployment', 'ml-prod', 'fraud-scorer')!;
    expect(imageOf(deployment)).toBe(OLD);
    const finished = (await h.timeline(opened[0]!)).filter((r) => r.type === 'action.finished');
    expect(finished).toHaveLength(2);
    const rollback = finished[1]!;
    expect(rollback.outcome).toBe('changed');
    expect(rollback.data.result).toMatchObject({
      fromRevision: 3,
      toRevision: 1,
      images: [OLD],
      skippedRestartsOnly: [2],
    });
    expect(String(rollback.data.detail)).toContain(`to revision 1 (image ${OLD})`);
    expect(String(rollback.data.detail)).toContain(`before the alert began at ${firstStartsAt}`);
  });

  it('POST /v1/policies/test previews the revision and image from the cluster, writing nothing', async () => {
    h = await startEngineHarness({ policies: examplePolicies });
    const before = h.sim.mutations().length;
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/policies/test',
      headers: h.auth('viewer'),
      payload: payload([{ labels, startsAt: firstStartsAt }]),
    });
    expect(res.statusCode).toBe(200);
    const steps = res.json().alerts[0].outcomes[0].steps;
    expect(steps[0]).not.toHaveProperty('preview');
    expect(steps[1].wouldDo).toContain('last known good release');
    expect(steps[1].preview).toContain(`from revision 2 to revision 1 (image ${OLD})`);
    expect(steps[1].preview).toContain(`before the alert began at ${firstStartsAt}`);
    expect(h.sim.mutations().length).toBe(before);
  });
});
