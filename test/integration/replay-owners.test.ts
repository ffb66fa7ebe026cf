import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayReport } from '../../src/http/api-types.js';
import { ownerOfAssumption } from '../../src/service/replay/replay.js';
import { recordedHeals } from '../../src/service/replay/tally.js';
import { payload } from '../support/fixtures.js';
import { type OwnerHarness, podPolicy, startOwnerHarness, startsAt } from '../support/owner-harness.js';

// A backtest of `ownerOf` policies reads no cluster: the pods it is about are gone, and today's objects would
// answer for today. It resolves through the owner chains salve recorded when it matched (the heal.opened record
// and each attached alert's in heal.alerts_attached), and counts what no chain was recorded for apart.

/** The pod policy, and one more on pods not ready: it pages when nobody approves within 5 minutes. */
const candidate = `${podPolicy}
  - name: pod-not-ready
    match: [alertname="KubePodNotReady"]
    target:
      kind: Deployment
      namespace: "{{ labels.namespace }}"
      ownerOf: { kind: Pod, name: "{{ labels.pod }}" }
    allow: { namespaces: [ml-prod], names: [checkout, fraud-scorer] }
    steps:
      - action: k8s.restart
    guards: { approval: { pageAfter: 5m }, cooldown: 0s }
    notify: [slack]
`;

describe('policy backtest of ownerOf targets', { timeout: 120_000 }, () => {
  let h: OwnerHarness;
  let pods: string[];
  let fraudPod: string;
  let dbPod: string;

  const notReady = (pod: string) => ({
    labels: { alertname: 'KubePodNotReady', namespace: 'ml-prod', pod, severity: 'warning' },
    startsAt,
  });
  const replay = async (body: Record<string, unknown>): Promise<ReplayReport> => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/policies/replay',
      headers: h.auth('operator'),
      payload: body,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as ReplayReport;
  };

  beforeAll(async () => {
    h = await startOwnerHarness();
    pods = h.podsOf('ml-prod', 'checkout');
    fraudPod = h.podsOf('ml-prod', 'fraud-scorer')[0]!;
    dbPod = h.podsOf('ml-prod', 'orders-db')[0]!;
    // One pod, then all three: one heal on the Deployment, two alerts attached with their chains.
    await h.crashLooping(pods.slice(0, 1));
    await h.run();
    await h.crashLooping(pods);
    // A StatefulSet's pod: refused live (its top controller is not a Deployment); no chain is recorded.
    expect((await h.crashLooping([dbPod])).refused).toBe(1);
    // Alerts no policy in force matches: stored, never resolved.
    expect((await h.deliver(payload([notReady(pods[1]!), notReady(fraudPod)]))).statusCode).toBe(202);
    for (let i = 0; i < 4; i++) await h.advance(30_000);
    await h.crashLooping(pods, { status: 'resolved' });
    for (let i = 0; i < 40; i++) await h.advance(30_000);
    // A week later the pods and their Deployment are gone.
    h.sim.objects.delete('apps/v1', 'Deployment', 'ml-prod', 'checkout');
    h.sim.tick();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('replays the table in force through the recorded chains: the same heal, nothing read from the cluster', async () => {
    const recorded = recordedHeals(await h.deps.store.healHistory({ since: startsAt }), {
      since: startsAt,
      until: h.clock.now().toISOString(),
    });
    expect(recorded.map((r) => [r.target, r.state])).toEqual([['Deployment/ml-prod/checkout', 'resolved']]);
    const requests = h.sim.requests.length;
    const head = (await h.deps.store.verifyAudit()).headSeq;

    const report = await replay({ since: '1d' });
    expect(report.heals.map((x) => [x.policy, x.target, x.openedAt, x.state, x.actions])).toEqual(
      recorded.map((r) => [r.policy, r.target, r.openedAt, r.state, r.actions]),
    );
    expect(report.difference?.counts).toEqual({ onlyInReplay: 0, onlyInBaseline: 0, changed: 0 });
    // The StatefulSet's pod: no recorded chain, so the backtest cannot tell. Counted apart, not refused.
    expect(report.unresolved).toEqual({
      alerts: 1,
      policies: { 'pod-crashloop': 1 },
      examples: [`Pod ml-prod/${dbPod}`],
    });
    expect(report.matchRefusals).toEqual({});
    expect(report.assumptions).toContain(ownerOfAssumption);
    // Not one request reached the cluster; nothing was written.
    expect(h.sim.requests.slice(requests).filter((r) => r.query.watch === undefined)).toEqual([]);
    expect((await h.deps.store.verifyAudit()).headSeq).toBe(head);
  });

  it('a candidate policy reuses the chains another policy recorded; what nobody resolved stays unresolved', async () => {
    const report = await replay({ since: '1d', policies: [{ file: 'pods.yaml', content: candidate }] });
    // pods[1]'s chain was recorded when its crash-loop alert attached to the heal: its not-ready alert resolves
    // to the same Deployment. The fraud-scorer pod's was never recorded.
    const notReadyHeals = report.heals.filter((x) => x.policy === 'pod-not-ready');
    expect(notReadyHeals.map((x) => x.target)).toEqual(['Deployment/ml-prod/checkout']);
    expect(report.approvals).toEqual({ approval: 1 });
    // Nobody approves in a backtest: past its pageAfter, the wait pages once.
    expect(report.pages).toBe(1);
    expect(report.unresolved).toEqual({
      alerts: 2,
      policies: { 'pod-crashloop': 1, 'pod-not-ready': 1 },
      examples: [`Pod ml-prod/${dbPod}`, `Pod ml-prod/${fraudPod}`],
    });
    expect(report.difference?.onlyInReplay.map((x) => x.policy)).toEqual(['pod-not-ready']);
  });

  it('deliveries given with the request resolve through the same chains; an unknown pod is named', async () => {
    const receivedAt = h.clock.now().toISOString();
    const delivery = {
      ...payload([
        { labels: { alertname: 'KubePodCrashLooping', namespace: 'ml-prod', pod: pods[2]! }, startsAt },
        {
          labels: { alertname: 'KubePodCrashLooping', namespace: 'ml-prod', pod: 'ghost-7d9f-x2x2x' },
          startsAt,
        },
      ]),
      receivedAt,
    };
    const report = await replay({ deliveries: [delivery] });
    expect(report.source).toBe('file');
    expect(report.heals.map((x) => x.target)).toEqual(['Deployment/ml-prod/checkout']);
    expect(report.unresolved).toEqual({
      alerts: 1,
      policies: { 'pod-crashloop': 1 },
      examples: ['Pod ml-prod/ghost-7d9f-x2x2x'],
    });
    // The table in force, replayed beside it, resolves the same way: no difference.
    expect(report.difference?.counts).toEqual({ onlyInReplay: 0, onlyInBaseline: 0, changed: 0 });
  });
});
