import { afterEach, describe, expect, it } from 'vitest';
import { cleanupStack } from '../support/cleanup.js';
import { waitFor } from '../support/wait.js';
import { E2E_TIMEOUT_MS, hasAlertmanager } from './support/alertmanager.js';
import { deploymentPatches, firingAlert } from './support/closed-loop.js';
import { createLoop } from './support/loop.js';

if (!hasAlertmanager()) {
  console.warn(
    'SKIPPED test/e2e (outage, auth): /usr/bin/prometheus-alertmanager is absent (apt-get install -y prometheus-alertmanager)',
  );
}

const webhook = { integration: 'webhook' };

describe.skipIf(!hasAlertmanager())('Alertmanager against a salve that is down or refuses it', () => {
  const cleanup = cleanupStack();
  afterEach(() => cleanup.run());

  it(
    'salve down while Alertmanager retries, then up: the alert is acted on once',
    async () => {
      const loop = await createLoop(cleanup, { startSalve: false });
      const am = await loop.startAlertmanager({ groupInterval: '1s', repeatInterval: '1s' });
      await am.push([firingAlert()]);
      await waitFor(
        'Alertmanager to retry against the closed port',
        () => am.metric('alertmanager_notification_requests_failed_total', webhook),
        (n) => n >= 2,
      );

      await loop.startSalve();
      const api = loop.api();
      const [heal] = await waitFor(
        'the heal to act',
        api.heals,
        (h) => h.length > 0 && h[0]!.phase === 'resolve',
      );
      // Keep Alertmanager re-sending for a while: every re-send is a duplicate.
      await waitFor(
        'a re-send to be deduplicated',
        () => api.metric('salve_alerts_deduplicated_total'),
        (n) => n >= 1,
      );
      expect(await api.heals()).toHaveLength(1);
      const { timeline } = await api.heal(heal!.id);
      expect(timeline.filter((r) => r.type === 'action.started')).toHaveLength(1);
      expect(deploymentPatches(loop.sim)).toHaveLength(1);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'a wrong token: every delivery is refused and counted, nothing is acted on',
    async () => {
      const loop = await createLoop(cleanup);
      const am = await loop.startAlertmanager({
        token: 'not-the-alertmanager-token-0123456789',
        groupInterval: '1s',
      });
      await am.push([firingAlert()]);
      const api = loop.api();
      // A 401 does not stop Alertmanager: it sends the group again at the next group_interval.
      await waitFor(
        'two refused deliveries',
        () => api.metric('salve_webhook_requests_total', { outcome: 'unauthorized' }),
        (n) => n >= 2,
      );
      expect(await api.metric('salve_auth_failures_total')).toBeGreaterThanOrEqual(2);
      await waitFor(
        'Alertmanager to count the failures',
        () => am.metric('alertmanager_notifications_failed_total', webhook),
        (n) => n >= 1,
      );
      expect(await api.metric('salve_webhook_requests_total', { outcome: 'accepted' })).toBe(0);
      expect(await api.heals()).toEqual([]);
      expect(await api.audit({ type: 'delivery.received' })).toEqual([]);
      expect(deploymentPatches(loop.sim)).toHaveLength(0);
    },
    E2E_TIMEOUT_MS,
  );
});
