import { afterEach, describe, expect, it } from 'vitest';
import { cleanupStack } from '../support/cleanup.js';
import { waitFor } from '../support/wait.js';
import { E2E_TIMEOUT_MS, hasAlertmanager } from './support/alertmanager.js';
import { deploymentImage, deploymentPatches, firingAlert, resolvedAlert } from './support/closed-loop.js';
import { createLoop } from './support/loop.js';

if (!hasAlertmanager()) {
  console.warn(
    'SKIPPED test/e2e: /usr/bin/prometheus-alertmanager is absent (apt-get install -y prometheus-alertmanager)',
  );
}

describe.skipIf(!hasAlertmanager())(
  'a real Alertmanager drives salve against the Kubernetes simulator',
  () => {
    const cleanup = cleanupStack();
    afterEach(() => cleanup.run());

    it(
      'a firing alert rolls the Deployment back, the resolved notification closes the heal, the audit tells it all',
      async () => {
        const loop = await createLoop(cleanup);
        const am = await loop.startAlertmanager({ groupInterval: '1s', repeatInterval: '1h' });
        const api = loop.api();
        const alert = firingAlert();
        await am.push([alert]);

        const [opened] = await waitFor('a heal to open', api.heals, (h) => h.length === 1);
        const healId = opened!.id;
        await waitFor(
          'the rollback and its rollout to be verified',
          () => api.heal(healId),
          (h) => h.heal.phase === 'resolve',
        );
        expect(deploymentPatches(loop.sim)).toHaveLength(1);
        expect(deploymentImage(loop.sim)).toBe('registry.example/fraud-scorer:1.4.0');

        await am.push([resolvedAlert(alert)]);
        const done = await waitFor(
          'the heal to close as resolved',
          () => api.heal(healId),
          (h) => h.heal.state !== 'verifying',
        );
        expect(done.heal.state).toBe('resolved');

        // The whole story, in order (guard decisions and the like may sit between these records).
        const story = done.timeline.map((r) => `${r.type}:${r.outcome}`);
        let from = 0;
        for (const record of [
          'heal.opened:pending',
          'guard.passed:pass',
          'action.started:started',
          'action.finished:changed',
          'verify.rollout:done',
          'heal.alert_resolved:resolved',
          'verify.resolved:resolved',
          'heal.resolved:resolved',
        ]) {
          const at = story.indexOf(record, from);
          expect(at, `${record} after #${from} in: ${story.join(', ')}`).toBeGreaterThanOrEqual(0);
          from = at + 1;
        }
        expect(done.timeline.find((r) => r.type === 'heal.opened')?.actor).toBe('alertmanager:salve');

        const deliveries = await api.audit({ type: 'delivery.received' });
        expect(deliveries.map((d) => d.data.externalURL)).toEqual([am.url, am.url]);
        const verified = await api.verify();
        expect(verified.ok).toBe(true);
        // Only the rollback changed the Deployment; the rest were reads and Events.
        expect(deploymentPatches(loop.sim)).toHaveLength(1);
      },
      E2E_TIMEOUT_MS,
    );

    it(
      "Alertmanager's re-sends of the same group change nothing: one heal, one rollback",
      async () => {
        const loop = await createLoop(cleanup);
        // repeat_interval 1s: the whole group again at every group_interval flush.
        const am = await loop.startAlertmanager({ groupInterval: '1s', repeatInterval: '1s' });
        const api = loop.api();
        await am.push([firingAlert()]);

        await waitFor('three deliveries', am.delivered, (n) => n >= 3, { timeoutMs: 20_000 });
        await waitFor(
          'salve to count the re-sends as deduplicated',
          () => api.metric('salve_alerts_deduplicated_total'),
          (n) => n >= 2,
        );
        expect(
          await api.metric('salve_webhook_requests_total', { outcome: 'accepted' }),
        ).toBeGreaterThanOrEqual(3);
        const heals = await api.heals();
        expect(heals).toHaveLength(1);
        const { timeline } = await api.heal(heals[0]!.id);
        expect(timeline.filter((r) => r.type === 'action.started')).toHaveLength(1);
        expect(timeline.filter((r) => r.type === 'heal.alert_attached')).toHaveLength(0);
        expect(deploymentPatches(loop.sim)).toHaveLength(1);
      },
      E2E_TIMEOUT_MS,
    );
  },
);
