import { createActionRegistry } from '../src/actions/registry.js';
import { alertSchema, normaliseAlert } from '../src/alerts/schema.js';
import { evaluateAlert } from '../src/policy/evaluate.js';
import { loadPolicyText } from '../src/policy/loader.js';
import type { PolicyTable } from '../src/policy/table.js';
import { benchAlertname, benchService, policyTableYaml, type TableShape } from './policy-tables.js';
import { median } from './stats.js';

export type MatchRow = {
  policies: number;
  shape: TableShape;
  alert: 'matching' | 'non-matching';
  /** Median over rounds of evaluateAlert, nanoseconds per alert. */
  evaluateNs: number;
  /** Median over rounds of JSON.parse of the same alert's JSON, nanoseconds per alert. */
  jsonParseNs: number;
  /** Policies the alert matched (1 or 0): proof the case measures what its name says. */
  matched: number;
  /** Time the real loader took to parse, validate and index the table. */
  loadMs: number;
};

const ROUNDS = 9;
const ROUND_NS = 20_000_000;

/** Median ns per call of `fn` over ROUNDS rounds, each long enough (~20 ms) for the clock not to matter. */
function nsPerCall(fn: () => number): number {
  let sink = 0;
  let iterations = 1;
  // Calibrate (and warm up the JIT) until one round takes ROUND_NS.
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += fn();
    const took = Number(process.hrtime.bigint() - start);
    if (took >= ROUND_NS) break;
    iterations =
      took < ROUND_NS / 100 ? iterations * 10 : Math.ceil((iterations * ROUND_NS) / Math.max(took, 1));
  }
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += fn();
    rounds.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  // The sink keeps the optimiser from deleting the loop; it is never negative.
  if (sink < 0) throw new Error('unreachable');
  return median(rounds);
}

function rawAlert(policies: number, matching: boolean) {
  const i = Math.floor(policies / 2);
  return {
    status: 'firing',
    labels: {
      alertname: matching ? benchAlertname(i) : 'KubePodCrashLooping',
      service: matching ? benchService(i) : 'svc-unrelated',
      severity: 'critical',
      namespace: 'ml-prod',
      deployment: 'scorer-3',
      model: 'fraud-v3',
      pod: 'scorer-3-7d9f8c6b5-x2k4q',
      instance: '10.42.3.17:8080',
      job: 'kubernetes-pods',
      prometheus: 'monitoring/k8s',
    },
    annotations: {
      summary: 'Scorer 5xx ratio above 5% for 1m',
      description: 'Scorer 5xx ratio above 5% for 1m (pod scorer-3-7d9f8c6b5-x2k4q, model fraud-v3).',
      runbook_url: 'https://runbooks.example/ml/scorer-error-rate',
    },
    startsAt: '2026-11-27T00:45:52.027Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example:9090/graph?g0.expr=scorer_5xx_ratio',
    fingerprint: '960e3172b39aa9e4',
  };
}

function loadTable(size: number, shape: TableShape) {
  const registry = createActionRegistry();
  const started = process.hrtime.bigint();
  const result = loadPolicyText(`bench-${shape}-${size}.yaml`, policyTableYaml(size, shape), registry);
  const loadMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.table === null) {
    const first = result.problems[0];
    throw new Error(`generated table is invalid: ${first?.file} ${first?.path}: ${first?.message}`);
  }
  return { table: result.table as PolicyTable, registry, loadMs };
}

export function benchMatch(sizes: readonly number[], progress: (line: string) => void): MatchRow[] {
  const rows: MatchRow[] = [];
  for (const shape of ['indexed', 'scan'] as const) {
    for (const size of sizes) {
      progress(`match: ${size} policies, ${shape}`);
      const { table, registry, loadMs } = loadTable(size, shape);
      for (const matching of [true, false]) {
        const raw = rawAlert(size, matching);
        const json = JSON.stringify(raw);
        const alert = normaliseAlert(alertSchema.parse(raw));
        const matched = evaluateAlert(table, alert, registry).length;
        rows.push({
          policies: size,
          shape,
          alert: matching ? 'matching' : 'non-matching',
          evaluateNs: nsPerCall(() => evaluateAlert(table, alert, registry).length),
          jsonParseNs: nsPerCall(() => ((JSON.parse(json) as { labels: object }).labels === null ? 0 : 1)),
          matched,
          loadMs,
        });
      }
    }
  }
  return rows;
}
