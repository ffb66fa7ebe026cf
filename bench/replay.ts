import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IngestRun } from './ingest.js';
import { fixed, grouped, renderTable } from './table.js';

const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'replay-child.ts');

export type ReplayRun = {
  record: { alerts: number; deliveries: number; seconds: number; alertsPerSecond: number };
  replay: {
    policies: number;
    alerts: number;
    deliveries: number;
    seconds: number;
    alertsPerSecond: number;
    rssBeforeMiB: number;
    peakRssMiB: number;
    heals: number;
    actions: number;
    refusals: Record<string, number>;
  };
};

function child<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', childScript, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => {
      out += String(d);
    });
    p.once('error', reject);
    p.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`replay bench child exited ${code}`)),
    );
  });
}

/**
 * The policy backtest: `alerts` alerts recorded in a SQLite store (as salve stores them), then replayed against
 * `policies` generated policies in a fresh process, whose peak RSS is the replay's own.
 */
export async function benchReplay(
  options: { dir: string; replayAlerts: number; replayPolicies: number },
  progress: (line: string) => void,
): Promise<ReplayRun> {
  const dir = fs.mkdtempSync(path.join(options.dir, 'salve-bench-replay-'));
  try {
    progress(`replay: recording ${grouped(options.replayAlerts)} alerts`);
    const record = await child<ReplayRun['record']>(['record', dir, String(options.replayAlerts)]);
    progress(`replay: backtesting them against ${grouped(options.replayPolicies)} policies`);
    const replay = await child<ReplayRun['replay']>(['replay', dir, String(options.replayPolicies)]);
    return { record, replay };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function replayReport(run: ReplayRun, ingest: readonly IngestRun[]): string {
  const r = run.replay;
  const live = ingest.filter((i) => i.server === 'salve');
  const rows = [
    [
      'replay (virtual time, real matching and guards)',
      grouped(r.alertsPerSecond),
      fixed(r.seconds, 1),
      fixed(r.peakRssMiB, 0),
    ],
    [
      'recording the history (store ingest, no HTTP)',
      grouped(run.record.alertsPerSecond),
      fixed(run.record.seconds, 1),
      '-',
    ],
    ...live.map((i) => [
      `live webhook ingest (${i.store === 'postgres' ? 'postgres' : 'sqlite'}, ${i.scenario ?? 'either'}, log ${i.logLevel})`,
      grouped(i.alertsPerSecond),
      fixed(i.seconds, 1),
      fixed(i.peakRssMiB, 0),
    ]),
  ];
  return [
    `Policy backtest: ${grouped(r.alerts)} recorded alerts in ${grouped(r.deliveries)} deliveries against ${grouped(r.policies)} policies ` +
      `(${grouped(r.heals)} heals, ${grouped(r.actions)} actions, refusals ${JSON.stringify(r.refusals)}; RSS before replaying ${fixed(r.rssBeforeMiB, 0)} MiB)`,
    renderTable(['run', 'alerts/s', 'seconds', 'peak RSS MiB'], rows),
  ].join('\n');
}
