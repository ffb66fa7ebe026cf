/**
 * Pods, Nodes and HPAs of the Kubernetes API simulator read by the real kubectl (v1.32): `get pods` (plain, -o wide,
 * -l, --show-labels, -o jsonpath on ownerReferences), `describe pod` (the pod, its owner, its Events), `get hpa`,
 * `get nodes` after `cordon`, `rollout restart` followed by `get pods`, and `get pods -w` while a rollout replaces
 * the pods (kubectl asks the watch for Table rows).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type KubeObject, type KubeSim, scenarioDemo, startKubeSim } from '../support/kube-sim/index.js';
import { hasKubectl, type Kubectl, kubectlFor, streamKubectl } from '../support/kubectl.js';

if (!hasKubectl) console.warn('kube-sim kubectl pod cross-checks SKIPPED: kubectl is not on PATH');

const ns = 'ml-prod';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Cluster = { sim: KubeSim; kubectl: Kubectl; kubeconfig: string; cache: string };

async function cluster(now?: () => number): Promise<Cluster> {
  const sim = await startKubeSim({ tickMs: 0, ...(now ? { now } : {}) });
  const dir = mkdtempSync(join(tmpdir(), 'kube-sim-kubectl-pods-'));
  cleanups.push(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  scenarioDemo(sim);
  const kubeconfig = sim.writeKubeconfig(dir, { namespace: ns });
  const cache = join(dir, 'cache');
  return { sim, kubectl: kubectlFor(kubeconfig, cache), kubeconfig, cache };
}

const podNames = (sim: KubeSim) =>
  sim.objects
    .list('v1', 'Pod', ns)
    .map((p) => p.metadata.name ?? '')
    .sort();
const rows = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));

describe.skipIf(!hasKubectl)('kube-sim pods against kubectl', () => {
  it('get pods shows READY, STATUS and RESTARTS as kubectl prints them; -o wide adds IP and NODE; -l and --show-labels filter and label', async () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const { sim, kubectl } = await cluster(() => now);
    const [crash, ,] = podNames(sim);
    sim.pods.setHealth(ns, crash ?? '', { state: 'crashLoop', restartCount: 6 });
    now += 125_000;
    sim.tick();
    const plain = await kubectl('get', 'pods');
    expect(plain.code).toBe(0);
    const table = rows(plain.stdout);
    expect(table[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    const byName = new Map(table.slice(1).map((r) => [r[0], r]));
    // Six restarts at set time, then kubelet's 5m back-off: none more in 125 s; the last one is 125 s old.
    expect(byName.get(crash)).toEqual([crash, '0/1', 'CrashLoopBackOff', '6 (2m5s ago)', '2m5s']);
    expect([...byName.values()].filter((r) => r[2] === 'Running' && r[1] === '1/1')).toHaveLength(2);

    const wide = rows((await kubectl('get', 'pods', '-o', 'wide')).stdout);
    expect(wide[0]).toEqual([
      'NAME',
      'READY',
      'STATUS',
      'RESTARTS',
      'AGE',
      'IP',
      'NODE',
      'NOMINATED NODE',
      'READINESS GATES',
    ]);
    for (const r of wide.slice(1)) {
      const pod = sim.objects.get('v1', 'Pod', ns, r[0] ?? '') as KubeObject;
      expect(r.slice(5)).toEqual([
        (pod.status as { podIP: string }).podIP,
        (pod.spec as { nodeName: string }).nodeName,
        '<none>',
        '<none>',
      ]);
    }

    const hash = sim.objects.get('v1', 'Pod', ns, crash ?? '')?.metadata.labels?.['pod-template-hash'];
    const labelled = rows(
      (await kubectl('get', 'pods', '-l', `app=fraud-scorer,pod-template-hash=${hash}`, '--show-labels'))
        .stdout,
    );
    expect(labelled[0]?.at(-1)).toBe('LABELS');
    expect(labelled.slice(1).map((r) => r.at(-1))).toEqual(
      Array(3).fill(`app=fraud-scorer,pod-template-hash=${hash}`),
    );
    expect((await kubectl('get', 'pods', '-l', 'app=nothing')).stderr).toBe(
      'No resources found in ml-prod namespace.\n',
    );
  });

  it('jsonpath walks the owner chain pod -> ReplicaSet -> Deployment, and describe pod shows the owner, the container state and the Events', async () => {
    const { sim, kubectl } = await cluster();
    const pod = podNames(sim)[0] ?? '';
    sim.pods.setHealth(ns, pod, { state: 'crashLoop', restartCount: 2, exitCode: 137, reason: 'OOMKilled' });
    const owner = await kubectl(
      'get',
      'pod',
      pod,
      '-o',
      'jsonpath={.metadata.ownerReferences[?(@.controller==true)].kind}/{.metadata.ownerReferences[0].name}',
    );
    const rs = owner.stdout.split('/')[1] ?? '';
    expect(owner.stdout).toMatch(/^ReplicaSet\/fraud-scorer-\w+$/);
    const top = await kubectl(
      'get',
      'replicaset',
      rs,
      '-o',
      'jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}',
    );
    expect(top.stdout).toBe('Deployment/fraud-scorer');
    const from = sim.requests.length;
    const described = await kubectl('describe', 'pod', pod);
    expect(described.code).toBe(0);
    const text = described.stdout;
    expect(text).toMatch(new RegExp(`Controlled By:\\s+ReplicaSet/${rs}\\n`));
    expect(text).toMatch(/State:\s+Waiting\n\s+Reason:\s+CrashLoopBackOff\n/);
    expect(text).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+OOMKilled\n\s+Exit Code:\s+137\n/);
    expect(text).toMatch(/Restart Count:\s+2\n/);
    expect(text).toMatch(/Ready\s+False/);
    expect(text).toMatch(
      /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned ml-prod\/\S+ to worker-\d/,
    );
    expect(text).toMatch(/Warning\s+BackOff\s+\S+\s+kubelet\s+Back-off restarting failed container/);
    // describe reads the pod and searches its Events by involvedObject fields.
    const events = sim.requests.slice(from).find((r) => r.path === `/api/v1/namespaces/${ns}/events`);
    expect(events?.query.fieldSelector).toContain(`involvedObject.name=${pod}`);
  });

  it('rollout restart replaces every pod: get pods then lists only pods of the new ReplicaSet, all running', async () => {
    const { sim, kubectl } = await cluster();
    const before = podNames(sim);
    expect((await kubectl('rollout', 'restart', 'deployment/fraud-scorer')).code).toBe(0);
    sim.tick();
    const after = rows((await kubectl('get', 'pods')).stdout).slice(1);
    expect(after).toHaveLength(3);
    expect(after.some((r) => before.includes(r[0] ?? ''))).toBe(false);
    expect(after.every((r) => r[1] === '1/1' && r[2] === 'Running')).toBe(true);
    const newest = await kubectl(
      'get',
      'rs',
      '-l',
      'app=fraud-scorer',
      '--sort-by=.metadata.annotations.deployment\\.kubernetes\\.io/revision',
      '-o',
      'jsonpath={.items[-1:].metadata.name}',
    );
    expect(new Set(after.map((r) => (r[0] ?? '').replace(/-\w{5}$/, '')))).toEqual(new Set([newest.stdout]));
  });

  it('get pods -w streams ContainerCreating, Running and Terminating rows while a restart replaces the pods', async () => {
    const { sim, kubeconfig, cache } = await cluster();
    const watch = streamKubectl(kubeconfig, cache, 'get', 'pods', '-w');
    cleanups.push(watch.stop);
    await watch.waitFor((t) => t.trim().split('\n').length >= 4);
    const d = sim.objects.get('apps/v1', 'Deployment', ns, 'fraud-scorer') as KubeObject;
    const spec = d.spec as { template: { metadata: { annotations?: Record<string, string> } } };
    spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': '2026-03-01T10:00:00Z' };
    sim.objects.put(d);
    sim.tick();
    await watch.waitFor((t) => (t.match(/Terminating/g) ?? []).length >= 3);
    const lines = watch.output().trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    const statuses = lines.slice(1).map((l) => l.split(/\s+/)[2]);
    expect(statuses.filter((s) => s === 'ContainerCreating')).toHaveLength(3);
    expect(statuses.indexOf('ContainerCreating')).toBeLessThan(statuses.indexOf('Terminating'));
    expect(sim.requests.find((r) => r.query.watch === 'true')?.accept).toContain('as=Table');
  });

  it('get hpa prints reference, targets and replicas; cordon marks a node SchedulingDisabled through PATCH spec.unschedulable', async () => {
    const { sim, kubectl } = await cluster();
    sim.seed.hpa({
      namespace: ns,
      name: 'fraud-scorer',
      target: { name: 'fraud-scorer' },
      minReplicas: 2,
      maxReplicas: 4,
      desiredReplicas: 6,
      cpu: { target: 80, current: 97 },
    });
    sim.tick();
    sim.tick();
    const hpa = rows((await kubectl('get', 'hpa')).stdout);
    expect(hpa[0]).toEqual(['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']);
    expect(hpa[1]?.slice(0, 6)).toEqual([
      'fraud-scorer',
      'Deployment/fraud-scorer',
      'cpu: 97%/80%',
      '2',
      '4',
      '4',
    ]);
    const from = sim.requests.length;
    expect((await kubectl('cordon', 'worker-2')).stdout).toBe('node/worker-2 cordoned\n');
    const patch = sim.requests.slice(from).find((r) => r.method === 'PATCH');
    expect(patch).toMatchObject({ path: '/api/v1/nodes/worker-2', body: { spec: { unschedulable: true } } });
    const nodes = rows((await kubectl('get', 'nodes')).stdout);
    expect(nodes.slice(1).map((r) => r.slice(0, 2))).toEqual([
      ['worker-1', 'Ready'],
      ['worker-2', 'Ready,SchedulingDisabled'],
      ['worker-3', 'Ready'],
    ]);
    expect((await kubectl('uncordon', 'worker-2')).stdout).toBe('node/worker-2 uncordoned\n');
  });
});
