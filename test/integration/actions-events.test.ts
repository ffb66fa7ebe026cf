import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { k8sRestart } from '../../src/actions/k8s-restart/action.js';
import { k8sRollback } from '../../src/actions/k8s-rollback/action.js';
import { k8sScale } from '../../src/actions/k8s-scale/action.js';
import { retrainCronjob } from '../../src/actions/retrain-cronjob/action.js';
import type { Action, TargetRef } from '../../src/actions/types.js';
import { type KubeActionHarness, startKubeActionHarness } from '../support/kube-action-harness.js';

const ns = 'ml-prod';
const revisions = [{ image: 'app:1' }, { image: 'app:2' }];

type Case = {
  name: string;
  action: Action<never>;
  params: Record<string, unknown>;
  target: TargetRef;
  /** Where the Event is recorded. */
  regarding: { kind: string; name: string };
  seed(h: KubeActionHarness): void;
};

const cases: Case[] = [
  {
    name: 'k8s.restart',
    action: k8sRestart as Action<never>,
    params: {},
    target: { kind: 'Deployment', namespace: ns, name: 'app' },
    regarding: { kind: 'Deployment', name: 'app' },
    seed: (h) => h.sim.seed.deployment({ namespace: ns, name: 'app', replicas: 2, revisions }),
  },
  {
    name: 'k8s.scale',
    action: k8sScale as Action<never>,
    params: { by: 1, max: 5 },
    target: { kind: 'Deployment', namespace: ns, name: 'app' },
    regarding: { kind: 'Deployment', name: 'app' },
    seed: (h) => h.sim.seed.deployment({ namespace: ns, name: 'app', replicas: 2, revisions }),
  },
  {
    name: 'k8s.rollback (Deployment)',
    action: k8sRollback as Action<never>,
    params: {},
    target: { kind: 'Deployment', namespace: ns, name: 'app' },
    regarding: { kind: 'Deployment', name: 'app' },
    seed: (h) => h.sim.seed.deployment({ namespace: ns, name: 'app', replicas: 2, revisions }),
  },
  {
    name: 'k8s.rollback (StatefulSet)',
    action: k8sRollback as Action<never>,
    params: {},
    target: { kind: 'StatefulSet', namespace: ns, name: 'store' },
    regarding: { kind: 'StatefulSet', name: 'store' },
    seed: (h) => h.sim.seed.statefulSet({ namespace: ns, name: 'store', replicas: 2, revisions }),
  },
  {
    name: 'retrain.cronjob',
    action: retrainCronjob as Action<never>,
    params: { cronJob: 'retrain-app' },
    target: { kind: 'Deployment', namespace: ns, name: 'app' },
    regarding: { kind: 'CronJob', name: 'retrain-app' },
    seed: (h) => h.sim.seed.cronJob({ namespace: ns, name: 'retrain-app', image: 'trainer:1' }),
  },
];

describe('Kubernetes Events are idempotent like the changes they tell of', () => {
  let h: KubeActionHarness;
  beforeEach(async () => {
    h = await startKubeActionHarness();
    h.clock.set('2026-11-27T03:04:05.678Z');
  });
  afterEach(() => h.close());

  for (const c of cases) {
    it(`${c.name}: a change whose Event was lost gets it from the re-run that finds the change, once`, async () => {
      c.seed(h);
      const params = c.action.params.parse(c.params);
      // The change lands; the Event does not (the process died in between, or the API server failed it).
      h.sim.faults.failNext({ method: 'POST', path: /\/events$/ }, 500);
      expect((await c.action.run(h.context(c.target), params)).status).toBe('changed');
      expect(h.eventsAbout(ns, c.regarding.kind, c.regarding.name)).toHaveLength(0);

      // The step runs again (another replica after the lease, or a retry): it finds its own change.
      const again = await c.action.run(h.context(c.target, { attempt: 2 }), params);
      expect(again.status).toBe('unchanged');
      const events = h.eventsAbout(ns, c.regarding.kind, c.regarding.name);
      expect(events).toHaveLength(1);
      expect(String(events[0]!.note)).toContain('salve heal heal-0001 (policy scorer-error-rate, step 1)');

      // And again: still one Event for the step. Another step of the heal tells of its own change.
      await c.action.run(h.context(c.target, { attempt: 3 }), params);
      expect(h.eventsAbout(ns, c.regarding.kind, c.regarding.name)).toHaveLength(1);
    });
  }

  it('a step that ran whole posts one Event; its re-run finds it there and posts none', async () => {
    h.sim.seed.deployment({ namespace: ns, name: 'app', replicas: 2, revisions });
    const target: TargetRef = { kind: 'Deployment', namespace: ns, name: 'app' };
    await k8sRestart.run(h.context(target), {});
    const posts = () => h.sim.mutations().filter((r) => r.method === 'POST' && r.path.endsWith('/events'));
    expect(posts()).toHaveLength(1);
    await k8sRestart.run(h.context(target, { attempt: 2 }), {});
    expect(posts()).toHaveLength(2);
    expect(h.eventsAbout(ns, 'Deployment', 'app')).toHaveLength(1);
    expect(h.logs.lines().some((l) => l.msg === 'kubernetes event not recorded')).toBe(false);
  });
});
