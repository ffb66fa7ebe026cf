import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActionRuntime } from '../../src/actions/runtime.js';
import type { ActionContext, TargetRef } from '../../src/actions/types.js';
import { createKubeClient } from '../../src/kube/config.js';
import type { KubeClient } from '../../src/kube/port.js';
import { withMarkStep } from './action-heal.js';
import { type FakeClock, fakeClock } from './fake-clock.js';
import { type KubeObject, type KubeSim, type KubeSimOptions, startKubeSim } from './kube-sim/index.js';
import { captureLogs, type LogCapture } from './log-capture.js';

/** The simulator, the real client pointed at it through a kubeconfig, and contexts for the actions. */
export type KubeActionHarness = {
  sim: KubeSim;
  kube: KubeClient;
  logs: LogCapture;
  clock: FakeClock;
  kubeconfig: string;
  context(target: TargetRef, heal?: Partial<ActionContext['heal']>): ActionContext;
  /** An apps/v1 object as the simulator holds it. */
  workload(kind: string, namespace: string, name: string): KubeObject;
  /** events.k8s.io Events in the namespace whose `regarding` is the named object. */
  eventsAbout(namespace: string, kind: string, name: string): KubeObject[];
  close(): Promise<void>;
};

/** Starts a simulator whose controllers only move when the test calls `sim.tick()` (unless told otherwise). */
export async function startKubeActionHarness(
  options: KubeSimOptions = {},
  client: { requestTimeoutMs?: number } = {},
): Promise<KubeActionHarness> {
  const sim = await startKubeSim({ tickMs: 0, ...options });
  const dir = mkdtempSync(join(tmpdir(), 'salve-kube-'));
  const kubeconfig = sim.writeKubeconfig(dir);
  const logs = captureLogs();
  const clock = fakeClock();
  const runtime = createActionRuntime({}, clock);
  const kube = createKubeClient({
    kubeconfig,
    log: logs.log,
    requestTimeoutMs: client.requestTimeoutMs ?? 5_000,
  });
  return {
    sim,
    kube,
    logs,
    clock,
    kubeconfig,
    context: (target, heal = {}) => ({
      heal: withMarkStep({ id: 'heal-0001', policy: 'scorer-error-rate', step: 1, attempt: 1, ...heal }),
      target,
      kube,
      ...runtime,
      clock,
      log: logs.log,
    }),
    workload(kind, namespace, name) {
      const found = sim.objects.get('apps/v1', kind, namespace, name);
      if (found === undefined) throw new Error(`no ${kind} ${namespace}/${name} in the simulator`);
      return found;
    },
    eventsAbout: (namespace, kind, name) =>
      sim.objects.list('events.k8s.io/v1', 'Event', namespace).filter((event) => {
        const regarding = event.regarding as { kind?: string; name?: string } | undefined;
        return regarding?.kind === kind && regarding.name === name;
      }),
    async close() {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The pod template and the object's annotations: what a rollout action changes. */
export function templateAndAnnotations(object: KubeObject): unknown {
  const spec = object.spec as { template?: unknown; replicas?: unknown };
  return { template: spec.template, annotations: object.metadata.annotations ?? {}, replicas: spec.replicas };
}

/** The image of the first container of a workload's pod template. */
export function imageOf(object: KubeObject): string | undefined {
  const spec = object.spec as { template?: { spec?: { containers?: { image?: string }[] } } };
  return spec.template?.spec?.containers?.[0]?.image;
}
