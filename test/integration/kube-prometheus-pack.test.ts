import { afterEach, describe, expect, it } from 'vitest';
import { type KubePrometheusFlavour, kubePrometheusFixtures } from '../support/fixtures.js';
import {
  actionsOn,
  audit,
  heals,
  image,
  jsonpath,
  type Pack,
  startPack,
  until,
} from '../support/kube-prometheus-pack.js';
import { hasKubectl } from '../support/kubectl.js';

// deploy/policy-packs/kube-prometheus.yaml, its placeholders filled, against the simulator's kube-prometheus
// scenario: every notification a real Alertmanager sent for the stock rules (test/fixtures/kube-prometheus, both
// installs) goes through the real webhook, owner-chain cache and engine at the time it was sent, and each outcome
// is read back with kubectl.

const flavours: KubePrometheusFlavour[] = ['kube-prometheus', 'kube-prometheus-stack'];

describe.skipIf(!hasKubectl)('the kube-prometheus policy pack, fed what Alertmanager sent', () => {
  let p: Pack | undefined;
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  it.each(flavours)(
    '%s: each stock alert gets its outcome, one heal acting per incident',
    async (flavour) => {
      p = await startPack();
      const pack = p;
      const deliveries = kubePrometheusFixtures(flavour)
        .map((f) => ({
          ...f,
          at: Math.min(...f.payload.alerts.map((a) => Date.parse(a.startsAt))),
        }))
        .sort((a, b) => a.at - b.at);
      const answers = new Map<
        string,
        { heals: { opened: unknown[]; attached: unknown[] }; refused: number; deferred: number }
      >();
      for (const d of deliveries) {
        // Alertmanager's group_wait: the first notification of a group leaves 30 s after its first alert.
        await until(pack, new Date(d.at + 30_000).toISOString());
        const res = await pack.t.deliver(d.body);
        expect(res.statusCode, d.name).toBe(202);
        answers.set(d.name, res.json());
        pack.alertmanager.notified(d.name, d.payload, pack.clock.now());
        await pack.t.deps.engine.drain();
      }
      await until(pack, '2026-03-01T09:45:00.000Z');

      // Every ownerOf target resolved in memory: the cache had synced, nothing waited for the API.
      expect([...answers.values()].reduce((n, a) => n + a.deferred, 0)).toBe(0);

      // checkout: three crash-looping pods -> three alerts, one heal (Deployment/shop/checkout), one action.
      const crash = answers.get('KubePodCrashLooping.shop');
      expect(crash?.heals.opened).toHaveLength(1);
      const all = await heals(pack);
      const checkout = all.filter((h) => h.targetKey === 'Deployment/shop/checkout');
      const podHeal = checkout.find((h) => h.policy === 'kube-pod-unhealthy')!;
      const alerts = await pack.t.deps.store.healAlerts(podHeal.id);
      // The three CrashLooping alerts and the three NotReady ones of checkout's pods: one heal.
      expect(alerts.map((a) => a.alertname).sort()).toEqual([
        ...Array(3).fill('KubePodCrashLooping'),
        ...Array(3).fill('KubePodNotReady'),
      ]);
      const opened = (
        await pack.t.deps.store.queryAudit({ healId: podHeal.id, type: 'heal.opened', limit: 1 })
      )[0];
      expect(opened?.data.resolution).toMatchObject({
        subject: { kind: 'Pod', namespace: 'shop', name: 'checkout-6659b96fbc-87jpc' },
        chain: [
          { kind: 'Pod', name: 'checkout-6659b96fbc-87jpc' },
          { kind: 'ReplicaSet', name: 'checkout-6659b96fbc' },
          { kind: 'Deployment', name: 'checkout' },
        ],
      });
      // ReplicasMismatch of the same Deployment: its own heal, refused by the heal-loop breaker (the pod heal
      // acted), so the only actions on checkout are the pod heal's steps: the restart, then (the crash loop went
      // on) the rollback to the last known good release.
      const mismatch = checkout.find((h) => h.policy === 'kube-deployment-rollout-stuck');
      expect(mismatch).toMatchObject({ state: 'escalated', reason: 'loop_breaker' });
      expect(await actionsOn(pack, 'Deployment/shop/checkout')).toEqual(['k8s.restart', 'k8s.rollback']);
      expect(
        (await audit(pack, 'action.started'))
          .filter((r) => r.target === 'Deployment/shop/checkout')
          .map((r) => r.healId),
      ).toEqual([podHeal.id, podHeal.id]);
      expect(
        await jsonpath(pack, ['deployment', 'checkout'], '{.spec.template.spec.containers[0].image}'),
      ).toBe(image('shop', 'checkout', '2.3.1'));
      const history = await pack.kubectl('rollout', 'history', 'deployment/checkout');
      expect(history.stdout).toMatch(/release 2\.3\.1/);

      // cart and payments: one not-ready pod each -> a restart each (ReplicasMismatch refused by the breaker).
      // Each pod heal ended resolved: Alertmanager said its pods' alerts stopped once the pods were replaced.
      expect(
        all
          .filter((h) => h.policy === 'kube-pod-unhealthy')
          .map((h) => [h.targetKey, h.state])
          .sort(),
      ).toEqual([
        ['Deployment/shop/cart', 'resolved'],
        ['Deployment/shop/checkout', 'resolved'],
        ['Deployment/shop/payments', 'resolved'],
      ]);
      // KubeJobFailed fires while the failed Job exists: Alertmanager never resolves it.
      expect(pack.resolvedSent).toContain('KubePodCrashLooping.shop');
      expect(pack.resolvedSent).not.toContain('KubeJobFailed.ml');
      for (const name of ['cart', 'payments']) {
        expect(await actionsOn(pack, `Deployment/shop/${name}`)).toEqual(['k8s.restart']);
        expect(
          await jsonpath(
            pack,
            ['deployment', name],
            '{.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}',
          ),
        ).toMatch(/^2026-03-01T09:/);
      }
      // search: its controller stopped observing it -> rolled back to the release it ran (the rollout then waits).
      expect(await actionsOn(pack, 'Deployment/shop/search')).toEqual(['k8s.rollback']);
      expect(
        await jsonpath(pack, ['deployment', 'search'], '{.spec.template.spec.containers[0].image}'),
      ).toBe(image('shop', 'search', '5.0.0'));
      // Pods of a StatefulSet and a DaemonSet are refused by the pod policy, and their rollout alerts roll back.
      const mismatches = await audit(pack, 'policy.refused');
      const kindMismatch = mismatches
        .filter((r) => r.outcome === 'target_kind_mismatch')
        .map((r) => String(r.data.detail));
      expect(kindMismatch).toContain(
        'Pod data/orders-db-2 -> StatefulSet data/orders-db: the top controller is not a Deployment',
      );
      expect(
        kindMismatch.some((d) =>
          /^Pod platform\/log-shipper-\w+ -> DaemonSet platform\/log-shipper: /.test(d),
        ),
      ).toBe(true);
      expect(
        await jsonpath(
          pack,
          ['statefulset', 'orders-db', '-n', 'data'],
          '{.spec.template.spec.containers[0].image}',
        ),
      ).toBe(image('data', 'postgres', '15.4'));
      // Forced rollback: the crash-looping pod of the abandoned revision was deleted, and runs 15.4 again.
      expect(
        await jsonpath(
          pack,
          ['pod', 'orders-db-2', '-n', 'data'],
          '{.spec.containers[0].image} {.status.phase}',
        ),
      ).toBe(`${image('data', 'postgres', '15.4')} Running`);
      expect(all.find((h) => h.policy === 'kube-statefulset-update-stuck')).toMatchObject({
        state: 'resolved',
        targetKey: 'StatefulSet/data/orders-db',
      });
      expect(
        await jsonpath(
          pack,
          ['daemonset', 'log-shipper', '-n', 'platform'],
          '{.spec.template.spec.containers[0].image}',
        ),
      ).toBe(image('platform', 'log-shipper', '1.9.0'));
      expect(all.find((h) => h.policy === 'kube-daemonset-rollout-stuck')).toMatchObject({
        state: 'resolved',
        targetKey: 'DaemonSet/platform/log-shipper',
      });

      // KubeJobFailed: job_name -> its CronJob, run once more (the Job salve created succeeded).
      const cronHeal = all.find((h) => h.policy === 'kube-cronjob-failed')!;
      expect(cronHeal.targetKey).toBe('CronJob/ml/retrain-fraud-model');
      const jobs = await jsonpath(
        pack,
        ['jobs', '-n', 'ml'],
        '{range .items[*]}{.metadata.name} {.metadata.ownerReferences[0].name} {.status.conditions[-1:].type}{"\\n"}{end}',
      );
      const rows = jobs
        .trim()
        .split('\n')
        .map((l) => l.split(' '));
      expect(rows).toContainEqual(['retrain-fraud-model-29538900', 'retrain-fraud-model', 'Failed']);
      const rerun = rows.filter((r) => r[0] !== 'retrain-fraud-model-29538900');
      expect(rerun).toHaveLength(1);
      expect(rerun[0]?.slice(1)).toEqual(['retrain-fraud-model', 'Complete']);

      // KubeHpaMaxedOut: nothing until an operator approves; then maxReplicas 6 -> 10 and the HPA scales to 9.
      const hpaHeal = all.find((h) => h.policy === 'kube-hpa-maxed-out')!;
      expect(hpaHeal).toMatchObject({
        state: 'awaiting_approval',
        targetKey: 'HorizontalPodAutoscaler/shop/frontend',
      });
      expect(await jsonpath(pack, ['hpa', 'frontend'], '{.spec.maxReplicas}')).toBe('6');
      const approve = await pack.t.app.inject({
        method: 'POST',
        url: `/v1/heals/${hpaHeal.id}/approve`,
        headers: pack.t.auth('operator'),
        payload: { comment: 'Black Friday' },
      });
      expect(approve.statusCode).toBe(200);
      // The engine acts in the first step; then the HPA scales the Deployment, which scales its pods.
      await until(pack, '2026-03-01T09:50:00.000Z');
      expect(await jsonpath(pack, ['hpa', 'frontend'], '{.spec.maxReplicas} {.status.currentReplicas}')).toBe(
        '10 9',
      );
      expect(await jsonpath(pack, ['deployment', 'frontend'], '{.spec.replicas}')).toBe('9');

      // No alert in the fixtures made salve act outside the pack's remit, and the audit chain holds.
      const targets = new Set((await audit(pack, 'action.started')).map((r) => r.target));
      expect([...targets].sort()).toEqual([
        'CronJob/ml/retrain-fraud-model',
        'DaemonSet/platform/log-shipper',
        'Deployment/shop/cart',
        'Deployment/shop/checkout',
        'Deployment/shop/payments',
        'Deployment/shop/search',
        'HorizontalPodAutoscaler/shop/frontend',
        'StatefulSet/data/orders-db',
      ]);
      expect((await pack.t.deps.store.verifyAudit()).ok).toBe(true);
    },
    // An hour and three quarters of the cluster's life in 1 min steps, with kubectl at the end: seconds on a
    // quiet machine, several times that on a busy one.
    180_000,
  );
});
