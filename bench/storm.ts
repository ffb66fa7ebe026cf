import fs from 'node:fs';
import path from 'node:path';
import { startBuiltSalve } from './built-child.js';
import { type ServerKind, startServer } from './child.js';
import { createDeliveryStream } from './deliveries.js';
import { drive } from './load.js';
import type { BenchOptions } from './options.js';
import { mib } from './stats.js';
import { type DurabilityCheck, verifyDurability } from './verify-store.js';
import { createWorkspace } from './workspace.js';

export type StormRun = {
  server: ServerKind;
  /** salve as built (`node dist/src/main.js serve`), not under the TypeScript loader. */
  built: boolean;
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

async function stormOnce(
  kind: ServerKind,
  options: BenchOptions,
  progress: (line: string) => void,
  built = false,
) {
  const workspace = createWorkspace(options.dir, `storm-${kind}${built ? '-built' : ''}`);
  // All new alerts: a storm is an incident, not a re-send.
  const stream = createDeliveryStream({
    alertsPerDelivery: options.alertsPerDelivery,
    redeliveryRatio: 0,
    salt: 100,
  });
  const deliveries = Math.ceil(options.stormAlerts / options.alertsPerDelivery);
  const logLevel = options.logLevels[0] ?? 'info';
  const server = built
    ? await startBuiltSalve(workspace.dir, logLevel)
    : await startServer({ kind, dir: workspace.dir, logLevel, engine: options.engine });
  try {
    progress(`storm: ${kind}${built ? ' (built)' : ''} (${deliveries * options.alertsPerDelivery} alerts)`);
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
      built,
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
  const runs = [await stormOnce('bare', options, progress), await stormOnce('salve', options, progress)];
  // What ships, as `salve serve` (engine included): the TypeScript loader the runs above carry holds about
  // 100 MiB of its own (docs/benchmark.md).
  if (process.platform === 'linux' && !options.engine)
    runs.push(await stormOnce('salve', options, progress, true));
  return runs;
}
