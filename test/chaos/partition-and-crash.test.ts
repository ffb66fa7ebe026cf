import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Cluster,
  kubeEffects,
  type Load,
  recoveryMs,
  startCluster,
  startLoad,
} from '../support/chaos.js';
import { payload } from '../support/fixtures.js';
import { type HoldingProxy, startHoldingProxy } from '../support/holding-proxy.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { getJson, postAlerts } from '../support/requests.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

/*
 * Two replicas on one PostgreSQL under load. Replica 0 reaches the database through a TCP proxy that can
 * blackhole it (a partition: nothing passes, nothing is closed); replica 1 reaches it directly. Then a replica is
 * killed with kill -9 in the middle of a step, between the API server applying a restart and salve hearing back.
 */

const deadlineMs = 2_000;
/** What a loaded, shared machine may add to an answer: Alertmanager (10 s) always gets one. */
const slackMs = 3_500;
/** The kubelet's timeout for /readyz in deploy/ (timeoutSeconds: 3); salve itself answers within a second. */
const readyzTimeoutMs = 3_000;
const crashTarget = 'crash-scorer';

describe('chaos: a replica partitioned from PostgreSQL, a replica killed mid-step (two replicas)', () => {
  let pg: TestPostgres;
  let sim: KubeSim;
  let dbProxy: TcpProxy;
  let kubeProxy: HoldingProxy;
  let cluster: Cluster;
  const acknowledged = new Set<string>();

  beforeAll(async () => {
    [pg, sim] = await Promise.all([startTestPostgres(), startKubeSim({ tickMs: 0 })]);
    dbProxy = await startTcpProxy({ host: '127.0.0.1', port: pg.port });
    // Every replica talks to the API server through it; the first restart of the crash target is applied by
    // the API server and never answered.
    kubeProxy = await startHoldingProxy(
      sim.url,
      (method, path) => method === 'PATCH' && path.endsWith(`/deployments/${crashTarget}`),
    );
    cluster = await startCluster({
      pg,
      sim,
      n: 2,
      kubeUrl: kubeProxy.url,
      storeFor: (database, replica) => (replica === 0 ? dbProxy.via(database) : database),
      env: { SALVE_DELIVERY_DEADLINE: `${deadlineMs}ms`, SALVE_LEASE_SECONDS: '3' },
    });
  }, 120_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(cluster?.report());
  });
  afterAll(async () => {
    dbProxy?.heal();
    await cluster?.stop();
    await kubeProxy?.close();
    await dbProxy?.close();
    await sim?.close();
    await pg?.stop();
  });

  const seed = (name: string) =>
    sim.seed.deployment({ namespace: 'ml-prod', name, replicas: 1, revisions: [{ image: `${name}:1` }] });
  const load = (prefix: string, urls = cluster.replicas.map((r) => r.url)): Load =>
    startLoad({ urls, concurrency: 6, prefix, newTargetEveryMs: 300, onTarget: seed });
  const okAfter = (l: Load, replica: number, after: number) =>
    l.samples.some((s) => s.replica === replica && s.status === 202 && s.start >= after);

  it('partition: the cut-off replica answers 503 in time and is not ready; the other keeps committing; both recover', async () => {
    const l = load('partition');
    const ready: Array<{ status: number; start: number; ms: number }> = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const start = performance.now();
        let status = 0;
        try {
          const res = await fetch(`${cluster.replicas[0]!.url}/readyz`, {
            signal: AbortSignal.timeout(10_000),
          });
          status = res.status;
          await res.arrayBuffer();
        } catch {
          status = 0;
        }
        ready.push({ status, start, ms: performance.now() - start });
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    let cut = 0;
    let healed = 0;
    try {
      await waitFor(
        'load to flow',
        async () => [0, 1].map((i) => okAfter(l, i, 0)),
        (v) => v.every(Boolean),
        { timeoutMs: 30_000 },
      );
      dbProxy.blackhole();
      cut = performance.now();
      // The other replica may wait for locks its cut-off peer held until PostgreSQL ends those sessions
      // (idle_in_transaction_session_timeout); then it commits again while the partition lasts.
      await waitFor(
        'the connected replica to commit during the partition',
        async () => okAfter(l, 1, cut + 6_000),
        (ok) => ok,
        { timeoutMs: 20_000 },
      );
      dbProxy.heal();
      healed = performance.now();
      await waitFor(
        'the cut-off replica to recover',
        async () => okAfter(l, 0, healed),
        (ok) => ok,
        { timeoutMs: 30_000 },
      );
    } finally {
      polling = false;
      await poller;
    }
    const samples = await l.stop();
    for (const r of cluster.replicas) expect(r.process.exitCode).toBeNull();
    expect(samples.filter((s) => s.status !== 202 && s.status !== 503)).toEqual([]);
    expect(Math.max(...samples.map((s) => s.ms))).toBeLessThan(deadlineMs + slackMs);
    const cutOff = samples.filter((s) => s.replica === 0 && s.start >= cut && s.start + s.ms <= healed);
    expect(cutOff.length).toBeGreaterThan(0);
    expect(cutOff.filter((s) => s.status !== 503)).toEqual([]);
    // Not ready while cut off (once a probe had time to fail), ready again after; always within a second.
    expect(ready.filter((r) => r.status === 0)).toEqual([]);
    expect(Math.max(...ready.map((r) => r.ms))).toBeLessThan(readyzTimeoutMs);
    const whileCut = ready.filter((r) => r.start >= cut + deadlineMs && r.start + r.ms <= healed);
    expect(whileCut.length).toBeGreaterThan(0);
    expect(whileCut.filter((r) => r.status !== 503)).toEqual([]);
    const other = samples.filter((s) => s.replica === 1 && s.start >= cut && s.start < healed);
    const firstOk = Math.min(...other.filter((s) => s.status === 202).map((s) => s.start + s.ms));
    console.info(
      `partition: the connected replica committed again ${Math.round(firstOk - cut)} ms after the cut; ` +
        `the cut-off replica recovered ${recoveryMs(samples, 2, healed).map(Math.round)[0]} ms after the heal`,
    );
    for (const s of samples) if (s.status === 202) acknowledged.add(s.fingerprint);
  }, 90_000);

  it('kill -9 of the replica in the middle of a restart: the other finishes the step after the lease; one restart, one Event', async () => {
    const l = load('crash');
    seed(crashTarget);
    const target = `/apis/apps/v1/namespaces/ml-prod/deployments/${crashTarget}`;
    const group = JSON.stringify(
      payload([
        { labels: { alertname: 'ModelServingErrorRate', namespace: 'ml-prod', deployment: crashTarget } },
      ]),
    );
    // Both replicas get the group at once, as Alertmanager's HA peers send it; one answered 503 (its delivery
    // deadline passed under the load) gets it again, as Alertmanager would send it again.
    const accepted = async (url: string) => {
      const res = await postAlerts(url, group);
      await res.arrayBuffer();
      return res.status;
    };
    await Promise.all(
      cluster.replicas.map((r) =>
        waitFor(
          'the group to be accepted',
          () => accepted(r.url),
          (s) => s === 202,
          { everyMs: 500 },
        ),
      ),
    );
    const heals = await pg.query<{ id: string }>(
      cluster.database,
      'SELECT id FROM heals WHERE target_key = $1',
      [`Deployment/ml-prod/${crashTarget}`],
    );
    expect(heals).toHaveLength(1);
    const healId = heals[0]!.id;
    expect((await kubeProxy.held).status).toBe(200);

    // Lease owners are `<host>-<pid>-<random>`: the pid names the replica in the middle of the restart.
    const [lease] = await pg.query<{ lease_owner: string; lease_until: string }>(
      cluster.database,
      'SELECT lease_owner, lease_until FROM heals WHERE id = $1',
      [healId],
    );
    const victim = cluster.replicas.find(
      (r) => lease?.lease_owner.split('-').at(-2) === String(r.process.pid),
    );
    expect(victim, `no replica owns lease ${lease?.lease_owner}`).toBeDefined();
    const killedAt = performance.now();
    await victim!.kill9();
    const survivor = cluster.replicas.find((r) => r !== victim)!;

    type View = {
      heal: { state: string; phase: string };
      timeline: Array<{ type: string; outcome: string; at: string }>;
    };
    const heal = () => getJson<View>(survivor.url, `/v1/heals/${healId}`);
    const done = await waitFor('the survivor to finish the step', heal, (h) => h.heal.phase === 'resolve', {
      timeoutMs: 30_000,
    });
    const samples = await l.stop();
    // The victim's other heals pass to the survivor after their leases too: wait until every heal has acted.
    await waitFor(
      'every heal to act',
      async () =>
        (
          await pg.query<{ n: number }>(
            cluster.database,
            `SELECT count(*)::int AS n FROM heals WHERE state IN ('pending', 'running')`,
          )
        )[0]!.n,
      (n) => n === 0,
      { timeoutMs: 30_000 },
    );

    const actions = done.timeline.filter((r) => r.type.startsWith('action.'));
    expect(actions.map((r) => `${r.type}:${r.outcome}`)).toEqual([
      'action.started:started',
      'action.started:started',
      'action.finished:unchanged',
    ]);
    // Taken over once the dead replica's lease had run out, not beside it.
    expect(
      actions[1]!.at >= lease!.lease_until,
      `took over at ${actions[1]!.at}, lease ${lease!.lease_until}`,
    ).toBe(true);
    const { patches, events } = kubeEffects(sim);
    expect(sim.requests.filter((r) => r.method === 'PATCH' && r.path === target)).toHaveLength(1);
    // The Event the victim never posted was posted by the survivor, which found the change its own.
    expect(events.get(crashTarget)).toBe(1);
    expect([...patches.values()].filter((n) => n !== 1)).toEqual([]);
    expect(Object.fromEntries(events)).toEqual(Object.fromEntries(patches));

    // The survivor kept answering throughout; what either replica acknowledged is stored.
    expect(survivor.process.exitCode).toBeNull();
    const survivorIndex = cluster.replicas.indexOf(survivor);
    expect(
      samples.filter((s) => s.replica === survivorIndex && s.status !== 202 && s.status !== 503),
    ).toEqual([]);
    const victimIndex = cluster.replicas.indexOf(victim!);
    expect(
      samples.filter(
        (s) => s.replica === victimIndex && s.start + s.ms < killedAt && s.status !== 202 && s.status !== 503,
      ),
    ).toEqual([]);
    for (const s of samples) if (s.status === 202) acknowledged.add(s.fingerprint);
    const stored = new Set(
      (await pg.query<{ fingerprint: string }>(cluster.database, 'SELECT fingerprint FROM alerts')).map(
        (r) => r.fingerprint,
      ),
    );
    expect([...acknowledged].filter((f) => !stored.has(f))).toEqual([]);
    expect(await getJson(survivor.url, '/v1/audit/verify')).toMatchObject({ ok: true });
  }, 90_000);
});
