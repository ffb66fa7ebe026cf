import type { KubeSim } from './index.js';
import type { KubeObject } from './types.js';

/** Start the simulator with this seed for the scenario's pod names to be the ones the fixtures name. */
export const KUBE_PROMETHEUS_SEED = 'kube-prometheus';

/** When the CronJob's failed run was scheduled; its Job is `retrain-fraud-model-<minutes since the epoch>`. */
export const RETRAIN_SCHEDULED_AT = Date.parse('2026-03-01T03:00:00Z');

const image = (team: string, name: string, tag: string) => `registry.example/${team}/${name}:${tag}`;
const release = (team: string, name: string, tag: string) => ({
  image: image(team, name, tag),
  annotations: { 'kubernetes.io/change-cause': `release ${tag}` },
});

/**
 * A cluster in trouble, one object per stock kube-prometheus alert of test/fixtures/kube-prometheus (rules.md):
 * - shop/checkout: release 2.4.0 crash-loops on all 3 pods (KubePodCrashLooping, KubeDeploymentReplicasMismatch);
 *   2.3.1 before it was good.
 * - shop/cart: one of 3 pods Running but not ready (KubePodNotReady).
 * - shop/payments: one pod's container waits on CreateContainerConfigError (KubeContainerWaiting).
 * - shop/search: its controller stopped observing it after a change to 5.1.0 (KubeDeploymentGenerationMismatch).
 * - shop/frontend: an HPA at its maximum of 6 replicas wanting 9 (KubeHpaMaxedOut).
 * - data/orders-db: a StatefulSet update to 15.5 whose first replaced pod crash-loops (KubeStatefulSetUpdateNotRolledOut).
 * - platform/log-shipper: a DaemonSet update to 1.10.0 whose image cannot be pulled (KubeDaemonSetRolloutStuck).
 * - ml/retrain-fraud-model: a CronJob whose scheduled Job failed (KubeJobFailed).
 * Pod names are reproducible only with `startKubeSim({ randomSeed: KUBE_PROMETHEUS_SEED })`.
 */
export function scenarioKubePrometheus(sim: KubeSim): void {
  for (const ns of ['shop', 'data', 'platform', 'ml']) sim.seed.namespace(ns);
  sim.seed.deployment({
    namespace: 'shop',
    name: 'checkout',
    replicas: 3,
    revisions: [release('shop', 'checkout', '2.3.1'), release('shop', 'checkout', '2.4.0')],
  });
  sim.pods.setImageHealth(image('shop', 'checkout', '2.4.0'), {
    state: 'crashLoop',
    restartCount: 7,
    exitCode: 1,
  });

  sim.seed.deployment({
    namespace: 'shop',
    name: 'cart',
    replicas: 3,
    revisions: [release('shop', 'cart', '1.8.2')],
  });
  sim.pods.setHealth('shop', firstPod(sim, 'shop', 'cart'), {
    state: 'notReady',
    message: 'HTTP probe failed with statuscode: 503',
  });

  sim.seed.deployment({
    namespace: 'shop',
    name: 'payments',
    replicas: 2,
    revisions: [release('shop', 'payments', '3.1.0')],
  });
  sim.pods.setHealth('shop', firstPod(sim, 'shop', 'payments'), {
    state: 'waiting',
    reason: 'CreateContainerConfigError',
    message: 'secret "payments-db" not found',
  });

  sim.seed.deployment({
    namespace: 'shop',
    name: 'search',
    replicas: 2,
    revisions: [release('shop', 'search', '5.0.0')],
  });
  sim.freeze('shop', 'search', 'Deployment');
  setImage(sim, 'Deployment', 'shop', 'search', image('shop', 'search', '5.1.0'));

  sim.seed.deployment({
    namespace: 'shop',
    name: 'frontend',
    replicas: 4,
    revisions: [release('shop', 'frontend', '7.2.0')],
  });
  sim.seed.hpa({
    namespace: 'shop',
    name: 'frontend',
    target: { name: 'frontend' },
    minReplicas: 2,
    maxReplicas: 6,
    desiredReplicas: 9,
    cpu: { target: 70, current: 145 },
  });

  sim.seed.statefulSet({
    namespace: 'data',
    name: 'orders-db',
    replicas: 3,
    revisions: [{ image: image('data', 'postgres', '15.4') }],
  });
  sim.pods.setImageHealth(image('data', 'postgres', '15.5'), {
    state: 'crashLoop',
    restartCount: 4,
    exitCode: 1,
  });
  setImage(sim, 'StatefulSet', 'data', 'orders-db', image('data', 'postgres', '15.5'));

  sim.seed.daemonSet({
    namespace: 'platform',
    name: 'log-shipper',
    revisions: [{ image: image('platform', 'log-shipper', '1.9.0') }],
  });
  sim.pods.setImageHealth(image('platform', 'log-shipper', '1.10.0'), {
    state: 'waiting',
    reason: 'ImagePullBackOff',
    message: 'Back-off pulling image "registry.example/platform/log-shipper:1.10.0"',
  });
  setImage(sim, 'DaemonSet', 'platform', 'log-shipper', image('platform', 'log-shipper', '1.10.0'));

  sim.seed.cronJob({
    namespace: 'ml',
    name: 'retrain-fraud-model',
    image: image('ml', 'trainer', '4.0.2'),
    schedule: '0 3 * * *',
    args: ['--model', 'fraud'],
    labels: { app: 'retrain-fraud-model' },
  });
  sim.jobOutcome({ namespace: 'ml', cronJob: 'retrain-fraud-model', outcome: 'failed' });
  sim.runCronJob('ml', 'retrain-fraud-model', RETRAIN_SCHEDULED_AT);

  // The controllers react: the HPA scales, the updates start and get stuck, the Job runs and fails.
  for (let i = 0; i < 4; i++) sim.tick();
  // Jobs that salve later starts from the CronJob succeed.
  sim.jobOutcome({ namespace: 'ml', cronJob: 'retrain-fraud-model', outcome: 'succeeded' });
}

function firstPod(sim: KubeSim, namespace: string, app: string): string {
  const pod = sim.objects.list('v1', 'Pod', namespace).find((p) => p.metadata.labels?.app === app);
  if (pod?.metadata.name === undefined) throw new Error(`scenario: no pod of ${namespace}/${app}`);
  return pod.metadata.name;
}

function setImage(sim: KubeSim, kind: string, namespace: string, name: string, to: string): void {
  const obj = sim.objects.get('apps/v1', kind, namespace, name) as KubeObject;
  const spec = obj.spec as { template: { spec: { containers: Array<{ image: string }> } } };
  for (const c of spec.template.spec.containers) c.image = to;
  sim.objects.put(obj);
}
