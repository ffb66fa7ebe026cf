import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/child-salve.js';
import { cleanupStack } from '../support/cleanup.js';
import { waitFor } from '../support/wait.js';
import { E2E_TIMEOUT_MS, hasAlertmanager } from './support/alertmanager.js';
import { deploymentPatches, firingAlert } from './support/closed-loop.js';
import { createLoop } from './support/loop.js';

if (!hasAlertmanager()) {
  console.warn(
    'SKIPPED test/e2e (HA): /usr/bin/prometheus-alertmanager is absent (apt-get install -y prometheus-alertmanager)',
  );
}

describe.skipIf(!hasAlertmanager())('two Alertmanager peers in a cluster', () => {
  const cleanup = cleanupStack();
  afterEach(() => cleanup.run());

  it(
    'both deliver the same group and salve acts once',
    async () => {
      const loop = await createLoop(cleanup);
      const [p1, p2] = [await freePort(), await freePort()];
      // A 1 ms peer timeout and slow gossip (and probes, which carry gossip too): neither peer hears of the
      // other's notification before its own flush, so both send, as peers do during a partition.
      const cluster = (listenPort: number, peer: number) => ({
        cluster: { listenPort, peers: [peer], peerTimeout: '1ms', gossipInterval: '3s', probeInterval: '5s' },
      });
      const [am1, am2] = await Promise.all([
        loop.startAlertmanager(cluster(p1!, p2!)),
        loop.startAlertmanager(cluster(p2!, p1!)),
      ]);
      for (const am of [am1, am2]) {
        await waitFor(
          'the peers to see each other',
          () => am.metric('alertmanager_cluster_members'),
          (n) => n === 2,
        );
      }
      // Prometheus sends every alert to every Alertmanager.
      const alert = firingAlert();
      await Promise.all([am1.push([alert]), am2.push([alert])]);

      await waitFor('the first peer to deliver', am1.delivered, (n) => n >= 1);
      await waitFor('the second peer to deliver', am2.delivered, (n) => n >= 1);
      const api = loop.api();
      await waitFor(
        'the duplicate to be counted',
        () => api.metric('salve_alerts_deduplicated_total'),
        (n) => n >= 1,
      );
      expect(
        await api.metric('salve_webhook_requests_total', { outcome: 'accepted' }),
      ).toBeGreaterThanOrEqual(2);

      const [heal] = await waitFor(
        'the heal to act',
        api.heals,
        (h) => h.length > 0 && h[0]!.phase === 'resolve',
      );
      expect(await api.heals()).toHaveLength(1);
      const { timeline } = await api.heal(heal!.id);
      expect(timeline.filter((r) => r.type === 'action.started')).toHaveLength(1);
      expect(deploymentPatches(loop.sim)).toHaveLength(1);
      // One delivery was new; its twin from the other peer (another externalURL) changed nothing.
      const deliveries = await api.audit({ type: 'delivery.received' });
      expect(deliveries).toHaveLength(1);
      expect([am1.url, am2.url]).toContain(deliveries[0]!.data.externalURL);
    },
    E2E_TIMEOUT_MS,
  );
});
