/**
 * What salve's idle memory is made of: RSS and heap after each package it loads, then after its start-up
 * (store, policies, app), each after a full GC. Usage: `node --expose-gc --import tsx bench/idle-memory.ts`.
 * It runs under tsx like the bench's children, so the figures include the TypeScript loader's own share
 * (compare `node dist/src/main.js serve`, which the storm section measures as built).
 */
import os from 'node:os';
import v8 from 'node:v8';
import { startSalve } from './salve-server.js';
import { createWorkspace } from './workspace.js';

const mib = (n: number) => (n / 2 ** 20).toFixed(1).padStart(6);
let last = process.memoryUsage();
function step(name: string): void {
  globalThis.gc?.();
  const m = process.memoryUsage();
  process.stdout.write(
    `${name.padEnd(44)} RSS ${mib(m.rss)} (+${mib(m.rss - last.rss)})  heap ${mib(m.heapUsed)} (+${mib(m.heapUsed - last.heapUsed)})\n`,
  );
  last = m;
}

step('node and the loader');
for (const name of [
  'fastify',
  'zod',
  'ajv',
  '@kubernetes/client-node',
  'pino',
  'prom-client',
  'better-sqlite3',
  'pg',
  'yaml',
  'axios',
  '@fastify/swagger-ui',
]) {
  await import(name);
  step(name);
}
await import('../src/deps.js');
step("salve's own modules (src/deps.ts and below)");
const workspace = createWorkspace(os.tmpdir(), 'idle-memory');
const salve = await startSalve(workspace.dir, 'info', false);
await salve.app.ready();
step('started: store (and its writer thread), policies, app');
for (const space of v8.getHeapSpaceStatistics())
  if (space.space_used_size > 2 ** 20)
    process.stdout.write(`  heap space ${space.space_name.padEnd(30)} ${mib(space.space_used_size)}\n`);
await salve.close();
workspace.remove();
