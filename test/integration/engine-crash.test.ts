import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildSalve, startChildSalve } from '../support/child-salve.js';
import { payload } from '../support/fixtures.js';
import { startHoldingProxy } from '../support/holding-proxy.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';
import { getJson, postAlerts } from '../support/requests.js';
import { prepareSalveDir } from '../support/salve-dir.js';
import { waitFor } from '../support/wait.js';

const alert = (status: 'firing' | 'resolved') =>
  payload([
    {
      status,
      labels: {
        alertname: 'ModelServingErrorRate',
        severity: 'page',
        namespace: 'ml-prod',
        deployment: 'fraud-scorer',
      },
      startsAt: '2026-11-27T02:00:00.000Z',
    },
  ]);

describe('crash recovery', () => {
  let child: ChildSalve | undefined;
  let sim: KubeSim | undefined;
  afterEach(async () => {
    await child?.stop();
    await sim?.close();
  });

  it('kill -9 after the action request and before the step is recorded: the heal finishes and the change is applied once', async () => {
    sim = await startKubeSim({ tickMs: 20 });
    sim.seed.deployment({
      namespace: 'ml-prod',
      name: 'fraud-scorer',
      replicas: 2,
      revisions: [
        { image: 'registry.example/fraud-scorer:1.4.0' },
        { image: 'registry.example/fraud-scorer:1.5.0' },
      ],
    });
    const proxy = await startHoldingProxy(
      sim.url,
      (method, p) => method === 'PATCH' && p.includes('/deployments/'),
    );
    const { env } = prepareSalveDir();
    const viaProxy = sim.writeKubeconfig(fs.mkdtempSync(path.join(os.tmpdir(), 'kc-proxy-')));
    fs.writeFileSync(viaProxy, fs.readFileSync(viaProxy, 'utf8').replace(sim.url, proxy.url));
    const direct = sim.writeKubeconfig(fs.mkdtempSync(path.join(os.tmpdir(), 'kc-direct-')));

    child = await startChildSalve({ ...env, SALVE_KUBECONFIG: viaProxy });
    const res = await postAlerts(child.url, alert('firing'));
    expect(res.status).toBe(202);
    const healId = ((await res.json()) as { heals: { opened: Array<{ id: string }> } }).heals.opened[0]!.id;
    const held = await proxy.held;
    expect(held.status).toBe(200); // the API server applied the restart...
    await child.kill9(); // ...and salve died before it heard so.
    await proxy.close();
    const patchesBefore = sim.mutations().filter((r) => r.method === 'PATCH').length;
    expect(patchesBefore).toBe(1);

    child = await startChildSalve({ ...env, SALVE_KUBECONFIG: direct });
    const url = child.url;
    const getHeal = () =>
      getJson<{
        heal: { state: string; phase: string };
        timeline: Array<{ type: string; outcome: string | null }>;
      }>(url, `/v1/heals/${healId}`);
    await waitFor('the step to finish after restart', getHeal, (h) => h.heal.phase === 'resolve');
    expect((await postAlerts(url, alert('resolved'))).status).toBe(202);
    const done = await waitFor('the heal to resolve', getHeal, (h) => h.heal.state === 'resolved');

    // The re-run found its own restart already in place: no second change at the API server.
    expect(sim.mutations().filter((r) => r.method === 'PATCH')).toHaveLength(1);
    const outcomes = done.timeline.filter((r) => r.type === 'action.finished').map((r) => r.outcome);
    expect(outcomes).toEqual(['unchanged']);
    expect(await getJson(url, '/v1/audit/verify')).toMatchObject({ ok: true });
  }, 90_000); // two salve processes start (each compiles with tsx): slow on a shared two-core machine
});
