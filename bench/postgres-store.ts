/**
 * The PostgreSQL store's ingest alone, without HTTP: `clients` callers in a closed loop hand 10-alert deliveries
 * (the ingest section's bodies, matched against the example policies) to one store on an embedded PostgreSQL
 * with fsync on, as the webhook does: first `knownAlerts` (which of them are committed already: the webhook
 * asks for every alert it did not see committed itself), then `ingest`. Prints, per delivery: this process's
 * CPU (and the kernel's part of it: sockets), the server's CPU, and the statements sent (each one round trip). Steadier than the HTTP runs on a shared machine: no load generator,
 * and both CPU figures are per delivery.
 *
 * With `--statements`, the server loads pg_stat_statements (one restart) and each scenario also prints its
 * statements: calls and execution time per delivery, the costliest first.
 *
 * With `--profile FILE`, the measured part of the new-alert scenario (nothing else) is profiled into FILE
 * (a V8 .cpuprofile; summarise with bench/profile-summary.ts).
 *
 * With `--only new` (or `--only re`), only that scenario runs. Fewer `--clients` make smaller batches, closer to
 * what the HTTP runs see (a batch's own costs, its round trips and statements, count more per delivery).
 *
 *   npx tsx bench/postgres-store.ts [--deliveries N] [--clients N] [--statements] [--profile FILE] [--only new|re]
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { normaliseAlert, webhookPayloadSchema } from '../src/alerts/schema.js';
import { systemClock } from '../src/clock.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import type { IngestInput } from '../src/store/types.js';
import { countStatements, startTestPostgres } from '../test/support/postgres.js';
import { createDeliveryStream } from './deliveries.js';
import { examplePolicyMatcher } from './ingest-inputs.js';
import { postgresCpuReader } from './postgres-cpu.js';

const { values: args } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '4000' },
    clients: { type: 'string', default: '20' },
    statements: { type: 'boolean', default: false },
    profile: { type: 'string' },
    only: { type: 'string' },
  },
});
const count = Number(args.deliveries);
const clients = Number(args.clients);

async function inputsOf(salt: number, redeliveryRatio: number): Promise<IngestInput[]> {
  const matcher = await examplePolicyMatcher();
  const stream = createDeliveryStream({ alertsPerDelivery: 10, redeliveryRatio, salt });
  return Array.from({ length: count }, () => {
    const p = webhookPayloadSchema.parse(JSON.parse(stream.next().body));
    return matcher.inputOf(p, p.alerts.map(normaliseAlert));
  });
}

// Every statement node-postgres sends, for the round trips per delivery.
const sent = countStatements();

/** Profiles `run` alone when `--profile` names a file. */
async function profiled<T>(on: boolean, run: () => Promise<T>): Promise<T> {
  if (!on || args.profile === undefined) return run();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await run();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    fs.writeFileSync(args.profile, JSON.stringify(profile));
    session.disconnect();
  }
}

const server = await startTestPostgres({ durable: true });
try {
  if (args.statements) {
    await server.query(server.adminUrl, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
    await server.query(server.adminUrl, 'ALTER SYSTEM SET pg_stat_statements.track_planning = on');
    await server.restart('fast');
    await server.query(server.adminUrl, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  }
  const serverCpu = await postgresCpuReader(server);
  for (const [scenario, ratio] of [
    ['new alerts', 0],
    ['re-deliveries (90%)', 0.9],
  ] as const) {
    if (args.only !== undefined && !scenario.startsWith(args.only)) continue;
    const inputs = await inputsOf(scenario === 'new alerts' ? 11 : 12, ratio);
    const store = openPostgresStore({ url: await server.createDatabase(), clock: systemClock() });
    await store.migrate();
    // Warm-up: connections opened, statements prepared, JIT.
    await Promise.all(inputs.slice(0, 200).map((i) => store.ingest(i)));
    const measured = inputs.slice(200);
    if (args.statements) await server.query(server.adminUrl, 'SELECT pg_stat_statements_reset()');
    let next = 0;
    const cpu0 = process.cpuUsage();
    const server0 = serverCpu?.() ?? 0;
    const statements0 = sent.count;
    const start = performance.now();
    await profiled(scenario === 'new alerts', () =>
      Promise.all(
        Array.from({ length: clients }, async () => {
          while (next < measured.length) {
            const input = measured[next++]!;
            await store.knownAlerts(input.alerts.map((a) => a.alert));
            await store.ingest(input);
          }
        }),
      ),
    );
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const n = measured.length;
    const row = {
      scenario,
      'deliveries/s': Math.round(n / seconds),
      'salve CPU us/delivery': Math.round((cpu.user + cpu.system) / n),
      'of which kernel': Math.round(cpu.system / n),
      'PostgreSQL CPU us/delivery': serverCpu ? Math.round(((serverCpu() ?? 0) - server0) / n) : null,
      'statements/delivery': Number(((sent.count - statements0) / n).toFixed(2)),
    };
    console.log(JSON.stringify(row));
    if (args.statements) {
      const top = await server.query<{ calls: string; plan: number; exec: number; query: string }>(
        server.adminUrl,
        `SELECT calls, total_plan_time AS plan, total_exec_time AS exec, query FROM pg_stat_statements
          ORDER BY total_plan_time + total_exec_time DESC LIMIT 12`,
      );
      for (const t of top) {
        const perDelivery = (ms: number) => Math.round((ms * 1000) / n);
        const text = t.query.replace(/\s+/g, ' ').slice(0, 90);
        console.log(
          `  ${(Number(t.calls) / n).toFixed(2)} calls, plan ${perDelivery(t.plan)} us, exec ${perDelivery(t.exec)} us: ${text}`,
        );
      }
    }
    await store.close();
  }
} finally {
  await server.stop();
}
