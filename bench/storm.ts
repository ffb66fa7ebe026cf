import fs from 'node:fs';
import path from 'node:path';
import { type ServerKind, startServer } from './child.js';
import { createDeliveryStream } from './deliveries.js';
import { drive } from './load.js';
import type { BenchOptions } from './options.js';
import { mib } from './stats.js';
import { type DurabilityCheck, verifyDurability } from './verify-store.js';
import { createWorkspace } from './workspace.js';

export type StormRun = {
  server: ServerKind;
  alerts: number;
  seconds: number;
  /** After start-up, after a full GC. */
  rssBeforeMiB: number;
  heapBeforeMiB: number;
  peakRssMiB: number;
  /** Right after the storm, then after a full GC: what salve keeps, not what it was still collecting. */
  rssAfterMiB: number;
  rssAfterGcMiB: number;
  heapAfterGcMiB: number;
  /** salve only: database + WAL on disk. */
  storeMiB: number | null;
  durability: DurabilityCheck | null;
};

function storeBytes(dir: string): number {
  return fs
    .readdirSync(dir)
    .filter((n) => n.startsWith('salve.db'))
    .reduce((sum, n) => sum + fs.statSync(path.join(dir, n)).size, 0);
}

async function stormOnce(kind: ServerKind, options: BenchOptions, progress: (line: string) => void) {
  const workspace = createWorkspace(options.dir, `storm-${kind}`);
  // All new alerts: a storm is an incident, not a re-send.
  const stream = createDeliveryStream({
    alertsPerDelivery: options.alertsPerDelivery,
    redeliveryRatio: 0,
    salt: 100,
  });
  const deliveries = Math.ceil(options.stormAlerts / options.alertsPerDelivery);
  const server = await startServer({
    kind,
    dir: workspace.dir,
    logLevel: options.logLevels[0] ?? 'info',
    engine: options.engine,
  });
  try {
    progress(`storm: ${kind} (${deliveries * options.alertsPerDelivery} alerts)`);
    const before = await server.stats(true);
    const load = await drive({
      url: server.url,
      stream,
      connections: options.connections,
      amount: deliveries,
    });
    const after = await server.stats(false);
    const afterGc = await server.stats(true);
    let durability: DurabilityCheck | null = null;
    let storeMiB: number | null = null;
    if (kind === 'salve') {
      await server.kill9();
      storeMiB = mib(storeBytes(workspace.dir));
      durability = await verifyDurability(
        { kind: 'sqlite', dir: workspace.dir },
        stream,
        load.ackedGroups,
        load.acknowledged,
      );
    }
    return {
      server: kind,
      alerts: load.acknowledged * options.alertsPerDelivery,
      seconds: load.seconds,
      rssBeforeMiB: mib(before.rss),
      heapBeforeMiB: mib(before.heapUsed),
      peakRssMiB: mib(afterGc.peakRss),
      rssAfterMiB: mib(after.rss),
      rssAfterGcMiB: mib(afterGc.rss),
      heapAfterGcMiB: mib(afterGc.heapUsed),
      storeMiB,
      durability,
    } satisfies StormRun;
  } finally {
    await server.kill9();
    workspace.remove();
  }
}

export async function benchStorm(
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<StormRun[]> {
  return [await stormOnce('bare', options, progress), await stormOnce('salve', options, progress)];
}
