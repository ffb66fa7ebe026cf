/**
 * `npm run bench`: webhook ingestion (salve on SQLite and on PostgreSQL vs a bare fastify route, each in its
 * own process), memory under an alert storm, policy match cost, the time from receipt to the first
 * Kubernetes request, what resolving ownerOf targets costs the webhook, and the policy backtest (replay) of a
 * million recorded alerts beside the ingest figures. Never part of `npm test`; nothing here asserts a timing.
 */
import os from 'node:os';
import { type BreakdownRow, benchBreakdown } from './breakdown.js';
import { benchFirstAction, type FirstActionRun } from './first-action.js';
import { firstActionReport } from './first-action-report.js';
import { benchIngest, type IngestRun } from './ingest.js';
import { benchIngestPostgres } from './ingest-postgres.js';
import { benchMatch, type MatchRow } from './match.js';
import { parseBenchOptions, usage } from './options.js';
import { benchOwners, type OwnersRun, ownersReport } from './owners.js';
import { benchReplay, type ReplayRun, replayReport } from './replay.js';
import {
  breakdownReport,
  ingestReport,
  matchReport,
  runLabel,
  stormReport,
  targets,
  verdict,
  verifyReport,
} from './report.js';
import { benchStoreFaults, type StoreFaultRun, storeFaultsReport } from './store-faults.js';
import { benchStorm, type StormRun } from './storm.js';
import { benchVerify, type VerifyRun } from './verify.js';
import { waitsReport } from './waits-report.js';

async function main(argv: string[]): Promise<number> {
  const options = parseBenchOptions(argv);
  if (options === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  const started = Date.now();
  const machine = {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    /** Other work on the machine skews wall-clock figures: printed so a reader can judge a run. */
    loadAverageAtStart: os.loadavg()[0] ?? 0,
  };
  let ingest: IngestRun[] = [];
  let storm: StormRun[] = [];
  let match: MatchRow[] = [];
  let breakdown: BreakdownRow[] = [];
  let firstAction: FirstActionRun[] = [];
  let storeFaults: StoreFaultRun[] = [];
  let owners: OwnersRun[] = [];
  // Match first: it runs in this process, before any child has warmed the CPU caches of the other core.
  if (options.only.includes('match')) match = benchMatch([10, 1_000, 10_000], progress);
  if (options.only.includes('ingest')) ingest = await benchIngest(options, progress);
  if (options.only.includes('ingest-postgres')) {
    const withBare = !ingest.some((r) => r.server === 'bare');
    ingest = [...ingest, ...(await benchIngestPostgres(options, progress, withBare))];
  }
  if (options.only.includes('storm')) storm = await benchStorm(options, progress);
  if (options.only.includes('firstaction')) firstAction = await benchFirstAction(options, progress);
  if (options.only.includes('owners')) owners = await benchOwners(options, progress);
  let verify: VerifyRun | null = null;
  if (options.only.includes('verify')) verify = await benchVerify(options, progress);
  if (options.only.includes('store-faults')) storeFaults = await benchStoreFaults(progress);
  if (options.only.includes('breakdown')) breakdown = await benchBreakdown(options.dir, progress);
  let replay: ReplayRun | null = null;
  if (options.only.includes('replay')) replay = await benchReplay(options, progress);
  const seconds = (Date.now() - started) / 1000;
  const loadAverageAtEnd = os.loadavg()[0] ?? 0;
  const durable =
    [...ingest, ...storm].every((r) => r.durability === null || r.durability.ok) &&
    storeFaults.every((r) => r.lost === 0);

  if (options.json) {
    const verdicts = ingest.map((r) => verdict(r, ingest));
    process.stdout.write(
      `${JSON.stringify({ machine: { ...machine, loadAverageAtEnd }, options, targets, seconds, ingest: ingest.map((r, i) => ({ ...r, verdict: verdicts[i] })), storm, match, firstAction, owners, verify, storeFaults, breakdown, replay, durable }, null, 2)}\n`,
    );
  } else {
    const sections = [
      `salve bench: node ${machine.node}, ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, ` +
        `${options.connections} connections, ${options.duration}s per run (+${options.warmup}s warm-up), took ${seconds.toFixed(0)}s; ` +
        `load average ${machine.loadAverageAtStart.toFixed(1)} at start, ${loadAverageAtEnd.toFixed(1)} at end`,
    ];
    if (ingest.length > 0) sections.push(ingestReport(ingest, options.redeliveryRatio));
    const waits = waitsReport(ingest, runLabel);
    if (waits !== '') sections.push(waits);
    if (storm.length > 0) sections.push(stormReport(storm));
    if (match.length > 0) sections.push(matchReport(match));
    if (firstAction.length > 0) sections.push(firstActionReport(firstAction));
    if (owners.length > 0) sections.push(ownersReport(owners));
    if (verify) sections.push(verifyReport(verify));
    if (storeFaults.length > 0) sections.push(storeFaultsReport(storeFaults));
    if (breakdown.length > 0) sections.push(breakdownReport(breakdown));
    if (replay) sections.push(replayReport(replay, ingest));
    process.stdout.write(`${sections.join('\n\n')}\n`);
  }
  // A lost acknowledged alert is a bug, not a slow figure: make it visible to whoever runs this.
  return durable ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
