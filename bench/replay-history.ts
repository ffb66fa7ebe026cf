import type { ActionRegistry } from '../src/actions/registry.js';
import type { ReceivedAlert } from '../src/alerts/schema.js';
import type { Clock } from '../src/clock.js';
import { defaultEngineSettings } from '../src/engine/context.js';
import { loadPolicyText } from '../src/policy/loader.js';
import { replayPolicies } from '../src/service/replay/replay.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { benchAlertname, policyTableYaml } from './policy-tables.js';

/** The history's first delivery; 100,000 deliveries of 10 alerts span 7 days from here. */
const start = Date.parse('2026-11-01T00:00:00.000Z');
const span = 7 * 86_400_000;
const perDelivery = 10;
/** A problem resolves this many deliveries after it fired (~5 minutes at 1,000,000 alerts). */
const resolvesAfter = 50;
const deployments = 2_000;

export const fakeClockAt = (ms: number): Clock => ({
  now: () => new Date(ms),
  sleep: () => Promise.reject(new Error('no sleeping in a benchmark')),
});

/**
 * Half of each delivery fires new problems (one of 1,000 alertnames on one of 2,000 Deployments), half resolves
 * those that fired `resolvesAfter` deliveries earlier; one alert in ten matches no policy.
 */
function alertsOf(d: number, policies: number): ReceivedAlert[] {
  const out: ReceivedAlert[] = [];
  for (let j = 0; j < perDelivery / 2; j++) {
    for (const [delivery, status] of [
      [d, 'firing'],
      [d - resolvesAfter, 'resolved'],
    ] as const) {
      if (delivery < 0) continue;
      const k = delivery * perDelivery + j;
      const policy = (k * 7919) % policies;
      const deployment = `scorer-${(k * 104_729) % deployments}`;
      out.push({
        fingerprint: `fp-${k.toString(36)}`,
        status,
        startsAt: new Date(start + (delivery * span) / 1e5).toISOString(),
        endsAt: status === 'resolved' ? new Date(start + (d * span) / 1e5).toISOString() : null,
        labels: {
          alertname: k % 10 === 9 ? 'KubePodCrashLooping' : benchAlertname(policy),
          severity: 'critical',
          namespace: 'ml-prod',
          deployment,
          model: `model-${deployment}`,
        },
        annotations: {},
        generatorURL: '',
      });
    }
  }
  return out;
}

/** Records `alerts` alerts as salve stores them (no heals: the replay decides those). */
export async function recordHistory(file: string, alerts: number) {
  // Enough deliveries for `alerts` (the first few carry no resolutions yet); the last one is cut to fit.
  const deliveries = Math.ceil(alerts / perDelivery) + resolvesAfter;
  const store = openSqliteStore({ file, clock: fakeClockAt(start) });
  const t0 = performance.now();
  let written = 0;
  let sent = 0;
  for (let d = 0; written < alerts; d += 100) {
    const batch = [];
    for (let i = d; i < d + 100 && written < alerts; i++) {
      const list = alertsOf(i, 1_000)
        .slice(0, alerts - written)
        .map((alert) => ({ alert, outcomes: [] }));
      written += list.length;
      sent += 1;
      batch.push(
        store.ingest({
          receivedAt: new Date(start + (i * span) / deliveries).toISOString(),
          actor: 'bench',
          delivery: {
            receiver: 'salve',
            groupKey: '{}',
            externalURL: '',
            status: 'firing',
            truncatedAlerts: 0,
          },
          alerts: list,
          dryRun: false,
        }),
      );
    }
    await Promise.all(batch);
  }
  const seconds = (performance.now() - t0) / 1000;
  await store.close();
  return { alerts: written, deliveries: sent, seconds, alertsPerSecond: written / seconds };
}

/** Replays the recorded history against `policies` generated policies: its rate and this process's peak memory. */
export async function replayHistory(
  file: string,
  policies: number,
  registry: ActionRegistry,
  clockAt: typeof fakeClockAt,
) {
  const clock = clockAt(start + span + 3_600_000);
  const { table, problems } = loadPolicyText('bench.yaml', policyTableYaml(policies, 'indexed'), registry);
  if (!table) throw new Error(problems.map((p) => p.message).join('\n'));
  const store = openSqliteStore({ file, clock });
  const rssBeforeMiB = process.memoryUsage().rss / 2 ** 20;
  const t0 = performance.now();
  const report = await replayPolicies(
    { registry, clock, settings: { ...defaultEngineSettings, maxActionsPerHour: 100_000 }, store },
    {
      table,
      current: table,
      source: { kind: 'store', sinceMs: span + 7_200_000 },
      compare: false,
      listHeals: 0,
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  await store.close();
  return {
    policies,
    alerts: report.alerts,
    deliveries: report.deliveries,
    seconds,
    alertsPerSecond: report.alerts / seconds,
    rssBeforeMiB,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    heals: report.healsOpened,
    actions: report.actions,
    refusals: report.refusalReasons,
  };
}
