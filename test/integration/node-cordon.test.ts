import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { payload } from '../support/fixtures.js';
import { hasKubectl, kubectlFor } from '../support/kubectl.js';

// A cluster-scoped target through the real webhook, engine, @kubernetes/client-node and simulator: a
// KubeNodeNotReady alert (kube-prometheus's, labelled `node`) cordons that Node, verified by the Node reporting
// unschedulable; a Node outside allow.names, and node labels no Node can be named, are refused and audited
// without a request; a pause holds the heal; the audit, the API and real kubectl agree on what happened.

const nodePolicy = `apiVersion: salve/v1
policies:
  - name: node-not-ready
    description: Cordon a Node that stopped being ready
    match:
      - alertname="KubeNodeNotReady"
    target:
      kind: Node
      name: "{{ labels.node }}"
    allow: { names: [worker-1, worker-2] }
    steps:
      - action: k8s.cordon
        verify: { rollout: 2m, resolved: 10m }
    guards: { cooldown: 1h }
`;

const startsAt = '2026-11-27T02:59:00.000Z';

async function nodeHarness(): Promise<EngineHarness> {
  return startEngineHarness({ policies: { 'nodes.yaml': nodePolicy } });
}

async function notReady(h: EngineHarness, node: string, status: 'firing' | 'resolved' = 'firing') {
  const res = await h.deliver(
    payload([
      {
        labels: {
          alertname: 'KubeNodeNotReady',
          node,
          condition: 'Ready',
          status: 'true',
          severity: 'warning',
          job: 'kube-state-metrics',
        },
        status,
        startsAt,
      },
    ]),
  );
  expect(res.statusCode, res.body).toBe(202);
  return res.json() as { heals: { opened: Array<{ id: string }> }; refused: number };
}

const nodeSpec = (h: EngineHarness, name: string) =>
  (h.sim.objects.get('v1', 'Node', '', name)?.spec ?? {}) as {
    unschedulable?: boolean;
    taints?: Array<{ key: string; effect: string }>;
  };

/** Every request that reached the simulator about Nodes, by method and path. */
const nodeRequests = (h: EngineHarness) =>
  h.sim.requests.filter((r) => r.path.startsWith('/api/v1/nodes')).map((r) => `${r.method} ${r.path}`);

describe('k8s.cordon on a cluster-scoped Node, through the engine', () => {
  let h: EngineHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('KubeNodeNotReady for worker-2: one heal on Node/worker-2, cordoned by a strategic merge PATCH, verified, resolved', async () => {
    h = await nodeHarness();
    const answer = await notReady(h, 'worker-2');
    expect(answer.heals.opened).toHaveLength(1);
    const id = answer.heals.opened[0]!.id;
    await h.run();
    expect(nodeSpec(h, 'worker-2').unschedulable).toBe(true);
    expect(nodeSpec(h, 'worker-1').unschedulable).toBeUndefined();
    const patches = h.sim.mutations().filter((r) => r.path.startsWith('/api/v1/nodes'));
    expect(patches.map((r) => [r.method, r.path, r.contentType])).toEqual([
      ['PATCH', '/api/v1/nodes/worker-2', 'application/strategic-merge-patch+json'],
    ]);
    expect(patches[0]!.body).toMatchObject({ spec: { unschedulable: true } });
    // The Event about the Node lives in `default`, as kubelet's do.
    const events = h.sim.objects
      .list('events.k8s.io/v1', 'Event', 'default')
      .filter((e) => (e.regarding as { kind?: string }).kind === 'Node');
    expect(events.map((e) => [e.reason, e.regarding])).toEqual([
      ['Cordoned', expect.objectContaining({ apiVersion: 'v1', kind: 'Node', name: 'worker-2' })],
    ]);
    expect(events[0]!.regarding).not.toHaveProperty('namespace');
    // Verify: the node lifecycle controller taints it, and the step's check sees the Node unschedulable.
    await h.advance(2_000);
    expect((await h.heal(id)).stage).toBe('resolve');
    expect(nodeSpec(h, 'worker-2').taints).toEqual([
      expect.objectContaining({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }),
    ]);
    await notReady(h, 'worker-2', 'resolved');
    await h.run();
    const heal = await h.heal(id);
    expect(heal).toMatchObject({ state: 'resolved', targetKey: 'Node/worker-2' });
    const timeline = await h.timeline(id);
    const finished = timeline.find((r) => r.type === 'action.finished');
    expect(finished?.data).toMatchObject({ action: 'k8s.cordon' });
    const text = JSON.stringify(timeline);
    expect(text).toContain('Node worker-2');
    expect(text).not.toMatch(/undefined|Node\/\/|Node \/|\/worker-2\//);
    // The API names the heal by its key and target, with no namespace.
    const api = await h.app.inject({ url: `/v1/heals/${id}`, headers: h.auth('viewer') });
    expect(api.json().heal).toMatchObject({
      targetKey: 'Node/worker-2',
      target: { kind: 'Node', name: 'worker-2' },
    });
    expect(api.json().heal.target).not.toHaveProperty('namespace');
    expect(api.body).not.toMatch(/undefined|Node\/\//);
  });

  it('a Node cordoned already is left as it is: the step succeeds unchanged, and says so', async () => {
    h = await nodeHarness();
    const node = h.sim.objects.get('v1', 'Node', '', 'worker-1')!;
    h.sim.objects.put({ ...node, spec: { ...(node.spec as object), unschedulable: true } });
    const id = (await notReady(h, 'worker-1')).heals.opened[0]!.id;
    await h.run();
    expect(h.sim.mutations().filter((r) => r.path.startsWith('/api/v1/nodes'))).toEqual([]);
    const finished = (await h.timeline(id)).find((r) => r.type === 'action.finished');
    expect(finished).toMatchObject({ outcome: 'unchanged' });
    expect(JSON.stringify(finished?.data)).toContain('already cordoned');
  });

  it('a Node outside allow.names is refused and audited, and nothing is asked of the API', async () => {
    h = await nodeHarness();
    const answer = await notReady(h, 'worker-3');
    expect(answer).toMatchObject({ refused: 1, heals: { opened: [] } });
    await h.run();
    expect(nodeRequests(h)).toEqual([]);
    const refusals = await h.deps.store.queryAudit({ type: 'policy.refused', limit: 10 });
    expect(refusals.map((r) => [r.policy, r.data.reason])).toEqual([['node-not-ready', 'not_allowed']]);
    expect(String(refusals[0]!.data.detail)).toContain('target.name "worker-3" is not in allow.names');
  });

  it('node labels no Node can be named (a slash, "..", unicode, 300 characters, an encoded slash) are refused with the rule, never requested', async () => {
    h = await nodeHarness();
    const hostile = [
      'worker-1/../worker-2',
      '..',
      'wörker-1',
      'w'.repeat(300),
      'worker-1%2Fstatus',
      'worker-1/status',
    ];
    for (const node of hostile) {
      const answer = await notReady(h, node);
      expect(answer, node).toMatchObject({ refused: 1, heals: { opened: [] } });
    }
    await h.run();
    expect(nodeRequests(h)).toEqual([]);
    const refusals = await h.deps.store.queryAudit({ type: 'policy.refused', limit: 20 });
    expect(refusals).toHaveLength(hostile.length);
    for (const r of refusals) {
      expect(r.data.reason).toBe('invalid_name');
      expect(String(r.data.detail)).toMatch(/^target\.name ".*" is not a DNS-1123 subdomain/);
    }
  });

  it('a pause holds the Node heal at its first guard; the cordon happens once salve resumes', async () => {
    h = await nodeHarness();
    const op = { ...h.auth('operator'), 'content-type': 'application/json' };
    const paused = await h.app.inject({
      method: 'PUT',
      url: '/v1/pause',
      headers: op,
      payload: { reason: 'node work' },
    });
    expect(paused.statusCode).toBe(200);
    const id = (await notReady(h, 'worker-2')).heals.opened[0]!.id;
    await h.run();
    expect(await h.heal(id)).toMatchObject({ state: 'pending', reason: 'paused' });
    expect(nodeSpec(h, 'worker-2').unschedulable).toBeUndefined();
    await h.app.inject({ method: 'DELETE', url: '/v1/pause', headers: op, payload: {} });
    await h.advance(1_000);
    expect(nodeSpec(h, 'worker-2').unschedulable).toBe(true);
  });

  it.skipIf(!hasKubectl)(
    'real kubectl sees what salve did: get nodes shows SchedulingDisabled, uncordon undoes it',
    async () => {
      h = await nodeHarness();
      await notReady(h, 'worker-2');
      await h.run();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-kubectl-'));
      try {
        const kubeconfig = h.sim.writeKubeconfig(dir);
        const kubectl = kubectlFor(kubeconfig, path.join(dir, 'cache'));
        const nodes = await kubectl('get', 'nodes', '--no-headers');
        expect(nodes.stdout).toMatch(/^worker-2\s+Ready,SchedulingDisabled\s/m);
        expect(nodes.stdout).toMatch(/^worker-1\s+Ready\s/m);
        expect((await kubectl('cordon', 'worker-2')).stdout).toBe('node/worker-2 already cordoned\n');
        expect((await kubectl('uncordon', 'worker-2')).stdout).toBe('node/worker-2 uncordoned\n');
        expect(nodeSpec(h, 'worker-2').unschedulable).toBeUndefined();
        // salve's mark stays beside kubectl's change: a later heal step is a new mark, not this one's.
        expect(h.sim.objects.get('v1', 'Node', '', 'worker-2')?.metadata.annotations).toHaveProperty(
          'salve.dev/cordon-for',
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
