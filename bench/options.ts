import os from 'node:os';
import { parseArgs } from 'node:util';

export const sections = [
  'ingest',
  'ingest-postgres',
  'storm',
  'match',
  'firstaction',
  'owners',
  'verify',
  'store-faults',
  'breakdown',
  'replay',
] as const;
/** What a plain `npm run bench` runs; `breakdown` is for finding out why, on demand. */
export const defaultSections: Section[] = [
  'ingest',
  'ingest-postgres',
  'storm',
  'match',
  'firstaction',
  'owners',
  'verify',
  'store-faults',
  'replay',
];
export type Section = (typeof sections)[number];

export type BenchOptions = {
  /** Seconds of measured load per ingestion run. */
  duration: number;
  /** Seconds of unmeasured load before each ingestion run, so JIT and SQLite caches are warm. */
  warmup: number;
  connections: number;
  alertsPerDelivery: number;
  /** Share of deliveries in the re-delivery scenario that repeat a group already sent. */
  redeliveryRatio: number;
  stormAlerts: number;
  /** Log levels salve is measured at; the first one is the headline. */
  logLevels: string[];
  only: Section[];
  /** Parent of the temporary data directories: put it on the disk salve would use. */
  dir: string;
  /** Run salve's heal scheduler and notification dispatcher during the load, as `salve serve` does. */
  engine: boolean;
  /** Measured alerts per phase of the first-action section (each opens a heal on a Deployment of its own). */
  firstActionSamples: number;
  /** Background deliveries per second during the loaded phase of the first-action section. */
  backgroundRate: number;
  /** Audit records in the chain the verify section walks while webhooks arrive. */
  verifyRecords: number;
  /** Recorded alerts the replay section backtests, and the policies it backtests them against. */
  replayAlerts: number;
  replayPolicies: number;
  /** Write V8 CPU profiles of each salve and floor child (every thread) into this directory. */
  profileDir: string | null;
  /** Also measure salve with traces on, exported to an OTLP/HTTP receiver in the bench process. */
  tracing: boolean;
  json: boolean;
};

export const usage = `usage: npm run bench -- [options]

  --duration S          measured seconds per ingestion run (default 10)
  --warmup S            unmeasured seconds before each ingestion run (default 1)
  --connections N       concurrent connections (default 20)
  --redelivery-ratio R  share of re-deliveries in the second scenario (default 0.9)
  --storm-alerts N      alerts sent in the memory storm (default 100000)
  --log-levels L,L      salve log levels to measure, first is the headline (default info,warn)
  --only S,S            sections to run: ingest, ingest-postgres, storm, match, firstaction, owners,
                        verify, store-faults, replay, breakdown (default: all but breakdown)
  --dir PATH            where the temporary data directories go (default the OS temp dir)
  --engine              also run the heal scheduler and notifier in salve, as \`salve serve\` does
                        (off by default: the figures are the webhook's alone)
  --first-action-samples N
                        alerts measured per phase of the firstaction section (default 150)
  --background-rate N   deliveries/s of background load in the firstaction section (default 100)
  --verify-records N    audit records in the chain the verify section walks under load (default 1000000)
  --replay-alerts N     recorded alerts the replay section backtests (default 1000000)
  --replay-policies N   policies it backtests them against (default 1000)
  --profile DIR         write CPU profiles of every salve and floor server (each thread) into DIR
  --tracing             also measure salve (new alerts) with traces on, sent to an OTLP/HTTP receiver
                        in the bench process (traces are off in every other run)
  --json                print machine-readable figures instead of tables
`;

function number(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`--${name}: expected a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function list<T extends string>(
  name: string,
  raw: string | undefined,
  allowed: readonly T[] | null,
  fallback: T[],
) {
  if (raw === undefined) return fallback;
  const values = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as T[];
  const bad = allowed === null ? [] : values.filter((v) => !allowed.includes(v));
  if (values.length === 0 || bad.length > 0) {
    throw new Error(
      `--${name}: expected a comma-separated list${allowed ? ` of ${allowed.join(', ')}` : ''}`,
    );
  }
  return values;
}

export function parseBenchOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      'redelivery-ratio': { type: 'string' },
      'storm-alerts': { type: 'string' },
      'log-levels': { type: 'string' },
      only: { type: 'string' },
      dir: { type: 'string' },
      profile: { type: 'string' },
      engine: { type: 'boolean' },
      tracing: { type: 'boolean' },
      'first-action-samples': { type: 'string' },
      'background-rate': { type: 'string' },
      'verify-records': { type: 'string' },
      'replay-alerts': { type: 'string' },
      'replay-policies': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  return {
    duration: number('duration', values.duration, 10, 1, 3600),
    warmup: number('warmup', values.warmup, 1, 0, 600),
    connections: number('connections', values.connections, 20, 1, 1000),
    alertsPerDelivery: 10,
    redeliveryRatio: number('redelivery-ratio', values['redelivery-ratio'], 0.9, 0, 0.99),
    stormAlerts: number('storm-alerts', values['storm-alerts'], 100_000, 10, 10_000_000),
    logLevels: list('log-levels', values['log-levels'], levels, ['info', 'warn']),
    only: list('only', values.only, sections, defaultSections),
    dir: values.dir ?? os.tmpdir(),
    engine: values.engine ?? false,
    tracing: values.tracing ?? false,
    firstActionSamples: number('first-action-samples', values['first-action-samples'], 150, 10, 10_000),
    backgroundRate: number('background-rate', values['background-rate'], 100, 1, 10_000),
    verifyRecords: number('verify-records', values['verify-records'], 1_000_000, 1_000, 50_000_000),
    replayAlerts: number('replay-alerts', values['replay-alerts'], 1_000_000, 100, 50_000_000),
    replayPolicies: number('replay-policies', values['replay-policies'], 1_000, 1, 10_000),
    profileDir: values.profile ?? null,
    json: values.json ?? false,
  };
}
