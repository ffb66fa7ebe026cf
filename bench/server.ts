/**
 * The server under load, in a process of its own so the load generator does not share its event loop.
 * `salve` is the real service (buildApp + createDeps, durable SQLite, auth on, policies from --dir);
 * `bare` is a fastify 5 route that parses the same JSON and answers 202. The parent talks over IPC.
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { ServerUnderTest } from './bare-server.js';
import type { ServerKind } from './child.js';

export type ToServer = { type: 'stats'; gc: boolean } | { type: 'stop' };
export type ServerStats = {
  rss: number;
  peakRss: number;
  heapUsed: number;
  /** Process CPU time (user + system) since start, microseconds. */
  cpuMicros: number;
  /** Event-loop time spent not idle since start (callbacks, and synchronous I/O such as fsync), ms. */
  loopActiveMs: number;
  /** performance.now() when these figures were taken. */
  atMs: number;
};
export type FromServer = { type: 'listening'; port: number } | ({ type: 'stats' } & ServerStats);

/** Imported on demand, so the bare process never loads salve's modules (they would count in its RSS). */
async function start(
  mode: ServerKind,
  dir: string | undefined,
  logLevel: string,
  engine: boolean,
): Promise<ServerUnderTest> {
  if (mode === 'bare') return (await import('./bare-server.js')).startBare();
  if (mode === 'floor-postgres')
    return (await import('./floor-postgres.js')).startFloorPostgres(process.env.SALVE_STORE);
  if (!dir) throw new Error(`${mode} mode needs --dir`);
  if (mode === 'floor') return (await import('./floor-server.js')).startFloor(dir, 'fingerprint');
  if (mode === 'floor-by-time') return (await import('./floor-server.js')).startFloor(dir, 'start');
  return (await import('./salve-server.js')).startSalve(dir, logLevel, engine);
}

function send(message: FromServer): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { dir: { type: 'string' }, 'log-level': { type: 'string' }, engine: { type: 'boolean' } },
  });
  const mode = positionals[0];
  if (
    mode !== 'salve' &&
    mode !== 'bare' &&
    mode !== 'floor' &&
    mode !== 'floor-by-time' &&
    mode !== 'floor-postgres'
  )
    throw new Error(
      'usage: server.ts salve|bare|floor|floor-by-time|floor-postgres [--dir D] [--log-level L] [--engine]',
    );
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  sampler.unref();
  const server = await start(mode, values.dir, values['log-level'] ?? 'info', values.engine ?? false);
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  process.on('message', async (message: ToServer) => {
    if (message.type === 'stats') {
      if (message.gc) globalThis.gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      peakRss = Math.max(peakRss, rss);
      const cpu = process.cpuUsage();
      const loopActiveMs = performance.eventLoopUtilization().active;
      const atMs = performance.now();
      send({ type: 'stats', rss, peakRss, heapUsed, cpuMicros: cpu.user + cpu.system, loopActiveMs, atMs });
    } else if (message.type === 'stop') {
      await server.app.close();
      await server.close();
      // Exit explicitly so --cpu-prof writes its profile even if a handle lingers.
      process.exit(0);
    }
  });
  // The parent going away must not leave a server behind.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'listening', port: (server.app.server.address() as AddressInfo).port });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench server: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
