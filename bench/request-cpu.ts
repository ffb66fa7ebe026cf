/**
 * CPU per request of what every request pays around the handler: the log lines, their redaction and the
 * bearer-token check. CPU time (process.cpuUsage), not wall time nor throughput: the figure holds on a shared
 * machine. `npx tsx bench/request-cpu.ts [--requests N] [--rounds R]`
 *
 * - webhook: a 10-alert re-delivery through `app.inject` (deduplicated from memory: no store write), log
 *   level info, the log written to a file by the same batched asynchronous destination salve uses;
 * - log lines: what the request lines cost alone, and what one line costs with redaction;
 * - authenticate: the token check alone.
 */
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { sha256 } from '../src/config/tokens.js';
import { createDeps } from '../src/deps.js';
import { createAuthenticator } from '../src/http/auth.js';
import { batchedDestination, createLogger } from '../src/observability/logger.js';
import { alertmanagerHeaders } from '../test/support/requests.js';
import { prepareSalveDir, testTokens } from '../test/support/salve-dir.js';
import { createDeliveryStream } from './deliveries.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '4000' }, rounds: { type: 'string', default: '5' } },
});
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);

const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** Median over rounds of the CPU microseconds per call of `fn`. */
async function cpuPer(count: number, fn: (i: number) => unknown, times = ROUNDS): Promise<number> {
  const rounds: number[] = [];
  for (let r = 0; r < times; r++) {
    const start = cpuMicros();
    for (let i = 0; i < count; i++) await fn(i);
    rounds.push((cpuMicros() - start) / count);
  }
  return median(rounds);
}

async function fileLogger(file: string, level: string) {
  const destination = batchedDestination(file);
  await once(destination, 'ready');
  return {
    log: createLogger({ level, destination: destination as unknown as NodeJS.WritableStream }),
    done: () => {
      destination.flushSync();
      destination.end();
    },
  };
}

type Webhook = { deliver(): Promise<void>; close(): Promise<void> };

async function webhookApp(dir: string, level: string): Promise<Webhook> {
  const { dir: dataDir, policiesDir } = prepareSalveDir(undefined, fs.mkdtempSync(path.join(dir, 'data-')));
  const config = loadConfig({ SALVE_DATA_DIR: dataDir, SALVE_POLICIES: policiesDir, SALVE_LOG_LEVEL: level });
  const { log, done } = await fileLogger(path.join(dir, `webhook-${level}.log`), level);
  const deps = await createDeps(config, log, { env: { HOME: dataDir } });
  const app = await buildApp(deps);
  await app.ready();
  const body = createDeliveryStream({ alertsPerDelivery: 10, redeliveryRatio: 0, salt: 3 }).next().body;
  const headers = alertmanagerHeaders();
  const deliver = async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/alertmanager', headers, payload: body });
    if (res.statusCode !== 202) throw new Error(`webhook answered ${res.statusCode}: ${res.body}`);
  };
  for (let i = 0; i < 500; i++) await deliver(); // warm-up; the group is committed by the first
  return {
    deliver,
    async close() {
      await app.close();
      await deps.close();
      done();
    },
  };
}

/**
 * The same re-delivery at log level info and at warn, round after round in turn, so both see the same load:
 * the difference is what the request's info lines cost.
 */
async function webhook(dir: string): Promise<Array<[string, number]>> {
  const info = await webhookApp(dir, 'info');
  const warn = await webhookApp(dir, 'warn');
  const rounds = { info: [] as number[], warn: [] as number[], lines: [] as number[] };
  try {
    for (let r = 0; r < ROUNDS * 2; r++) {
      const atInfo = await cpuPer(REQUESTS / 4, info.deliver, 1);
      const atWarn = await cpuPer(REQUESTS / 4, warn.deliver, 1);
      rounds.info.push(atInfo);
      rounds.warn.push(atWarn);
      rounds.lines.push(atInfo - atWarn);
    }
  } finally {
    await info.close();
    await warn.close();
  }
  return [
    ['webhook re-delivery by inject, log level info', median(rounds.info)],
    ['webhook re-delivery by inject, log level warn', median(rounds.warn)],
    ['  difference (the request lines at info), median of paired rounds', median(rounds.lines)],
  ];
}

async function logLines(dir: string): Promise<Record<string, number>> {
  const { log, done } = await fileLogger(path.join(dir, 'lines.log'), 'info');
  const request = log.child({ reqId: 'req-1' });
  try {
    return {
      'one line, flat fields': await cpuPer(REQUESTS * 5, (i) =>
        request.info(
          { method: 'POST', url: '/v1/alertmanager', statusCode: 202, responseTime: 1.5, n: i },
          'request completed',
        ),
      ),
      'one line, a nested object': await cpuPer(REQUESTS * 5, (i) =>
        request.info({ req: { method: 'POST', url: '/v1/alertmanager', remotePort: i } }, 'incoming request'),
      ),
      'a child logger (per request)': await cpuPer(REQUESTS * 5, (i) => log.child({ reqId: `req-${i}` })),
    };
  } finally {
    done();
  }
}

async function authenticate(): Promise<number> {
  const auth = createAuthenticator(
    Object.entries(testTokens).map(([name, token]) => ({
      name,
      scopes: new Set([name as 'alertmanager']),
      digest: sha256(token),
    })),
  );
  const header = `Bearer ${testTokens.alertmanager}`;
  return cpuPer(REQUESTS * 10, () => auth.authenticate(header, 'alertmanager'));
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-request-cpu-'));
try {
  const rows: Array<[string, number]> = [];
  rows.push(...(await webhook(dir)));
  for (const [what, micros] of Object.entries(await logLines(dir))) rows.push([`log: ${what}`, micros]);
  rows.push(['authenticate (3 tokens)', await authenticate()]);
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; node ${process.version}`,
  );
  for (const [what, micros] of rows) console.log(`${micros.toFixed(2).padStart(9)} us CPU  ${what}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
