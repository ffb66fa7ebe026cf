import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChildSalve, startChildSalve } from '../support/child-salve.js';
import { payload } from '../support/fixtures.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { getJson, postAlerts } from '../support/requests.js';
import { prepareSalveDir, replicaEnv } from '../support/salve-dir.js';
import { waitFor } from '../support/wait.js';

const policy = `apiVersion: salve/v1
policies:
  - name: serving-restart
    description: Restart a serving Deployment whose error rate is high
    match:
      - alertname="ModelServingErrorRate"
    target:
      kind: Deployment
      namespace: "{{ labels.namespace }}"
      name: "{{ labels.deployment }}"
    allow: { namespaces: [ml-prod] }
    steps:
      - action: k8s.restart
        verify: { resolved: 1m }
`;

/** One Alertmanager group: two pods of one Deployment firing (or resolved). */
const group = (deployment: string, status: 'firing' | 'resolved' = 'firing') =>
  JSON.stringify(
    payload(
      ['a', 'b'].map((pod) => ({
        status,
        labels: {
          alertname: 'ModelServingErrorRate',
          namespace: 'ml-prod',
          deployment,
          pod: `${deployment}-${pod}`,
        },
        startsAt: '2026-11-27T02:00:00.000Z',
      })),
      { groupKey: `{}:{alertname="ModelServingErrorRate", deployment="${deployment}"}` },
    ),
  );

type Heal = { id: string; state: string; phase: string; targetKey: string };

const deliver = (replica: ChildSalve, body: string) => postAlerts(replica.url, body);

/** PATCH requests the simulator received for each Deployment path. */
function patchesByDeployment(sim: KubeSim): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of sim.requests) {
    if (r.method === 'PATCH' && /\/deployments\/[^/]+$/.test(r.path))
      counts.set(r.path, (counts.get(r.path) ?? 0) + 1);
  }
  return counts;
}

describe('several replicas on one PostgreSQL', () => {
  let pg: TestPostgres;
  let sim: KubeSim;
  let replicas: ChildSalve[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    // No controller loop: these policies verify resolution, not rollouts, and a controller pass over a hundred
    // Deployments on every tick would slow every API request down.
    [pg, sim] = await Promise.all([startTestPostgres(), startKubeSim({ tickMs: 0 })]);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') {
      // What the replicas said is the first thing to read when this fails.
      for (const [i, r] of replicas.entries()) {
        const lines = r
          .output()
          .split('\n')
          .filter((l) => !l.includes('"level":30'));
        console.error(
          `replica ${i} (pid ${r.process.pid}), last warnings and errors:\n${lines.slice(-30).join('\n')}`,
        );
      }
    }
    await Promise.all(replicas.map((r) => r.stop()));
    replicas = [];
  });
  afterAll(async () => {
    await sim?.close();
    await pg?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `n` salve processes sharing one database, one policy directory and one token file. */
  async function startReplicas(n: number, kubeconfig: string, env: Record<string, string> = {}) {
    const database = await pg.createDatabase();
    // Every replica reads the same policies and tokens, and seals the audit chain with the same key.
    const shared = prepareSalveDir({ 'serving.yaml': policy });
    dirs.push(shared.dir);
    // One after another: three tsx compilations at once on a small machine can outlast the start timeout.
    for (let i = 0; i < n; i++) {
      replicas.push(
        await startChildSalve({
          SALVE_STORE: database,
          ...replicaEnv(shared, i),
          SALVE_KUBECONFIG: kubeconfig,
          SALVE_MAX_ACTIONS_PER_HOUR: '1000',
          ...env,
        }),
      );
    }
    return database;
  }

  it('the same group delivered to three replicas at once, for 100 targets: one heal and one restart per target', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `scorer-${String(i).padStart(3, '0')}`);
    for (const name of names) {
      sim.seed.deployment({
        namespace: 'ml-prod',
        name,
        replicas: 1,
        revisions: [{ image: `registry.example/${name}:1.0.0` }],
      });
    }
    const kubeconfig = sim.writeKubeconfig(fs.mkdtempSync(path.join(os.tmpdir(), 'kc-replicas-')));
    dirs.push(path.dirname(kubeconfig));
    await startReplicas(3, kubeconfig);

    const opened: string[] = [];
    for (let i = 0; i < names.length; i += 10) {
      const answers = await Promise.all(
        names.slice(i, i + 10).flatMap((name) => replicas.map((r) => deliver(r, group(name)))),
      );
      for (const res of answers) {
        expect(res.status).toBe(202);
        const body = (await res.json()) as { heals: { opened: Array<{ id: string }> } };
        opened.push(...body.heals.opened.map((h) => h.id));
      }
    }
    expect(new Set(opened).size).toBe(100);
    expect(opened).toHaveLength(100);

    const phases = async () => {
      const { heals } = await getJson<{ heals: Heal[] }>(replicas[1]!.url, '/v1/heals?limit=500');
      const count: Record<string, number> = {};
      for (const h of heals) count[`${h.state}/${h.phase}`] = (count[`${h.state}/${h.phase}`] ?? 0) + 1;
      return count;
    };
    await waitFor('every heal to act', phases, (c) => c['verifying/resolve'] === 100, {
      timeoutMs: 60_000,
      everyMs: 200,
    });
    for (const name of names) {
      await Promise.all(replicas.map((r) => deliver(r, group(name, 'resolved'))));
    }
    await waitFor('every heal to resolve', phases, (c) => c['resolved/done'] === 100, {
      timeoutMs: 60_000,
      everyMs: 200,
    });
    const { heals } = await getJson<{ heals: Heal[] }>(replicas[0]!.url, '/v1/heals?limit=500');
    expect(heals).toHaveLength(100);
    expect(new Set(heals.map((h) => h.targetKey)).size).toBe(100);

    const patches = patchesByDeployment(sim);
    expect(names.map((n) => patches.get(`/apis/apps/v1/namespaces/ml-prod/deployments/${n}`))).toEqual(
      names.map(() => 1),
    );
    const finished = await getJson<{ records: Array<{ outcome: string }> }>(
      replicas[2]!.url,
      '/v1/audit?type=action.finished&limit=1000',
    );
    expect(finished.records.map((r) => r.outcome)).toEqual(names.map(() => 'changed'));
    for (const r of replicas) {
      expect(await getJson(r.url, '/v1/audit/verify')).toMatchObject({ ok: true });
    }
  }, 180_000); // three salve processes start one after another, then 100 heals act: slow on a loaded machine
});
