import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ServerChild } from './child.js';
import { extraNodeFlags } from './node-flags.js';
import { processCpuMicros } from './proc-stat.js';
import type { ServerStats } from './server.js';
import { repoRoot } from './workspace.js';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });

/** kB lines of /proc/<pid>/status (Linux): VmRSS now, VmHWM the peak. */
function procStatus(pid: number): { rss: number; peakRss: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: kb('VmRSS') * 1024, peakRss: kb('VmHWM') * 1024 };
}

/**
 * salve as it ships: the built bin, `dist/src/main.js serve`, started through its first line as `npm start`
 * and the image start it (built first when the sources changed, as `npm start` does), without the TypeScript
 * loader the other runs carry; SALVE_BENCH_NODE_FLAGS go after the NODE_OPTIONS it ships with. Its figures
 * come from /proc (Linux): RSS and peak RSS, CPU; heap and event-loop figures are not visible from outside
 * (NaN), and no GC can be forced.
 */
export async function startBuiltSalve(dir: string, logLevel: string): Promise<ServerChild> {
  const build = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build-if-stale.mjs')], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('bench: building salve (npm run build) failed');
  const port = await freePort();
  const log = fs.openSync(path.join(dir, 'salve-server.log'), 'a');
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(SALVE_|OTEL_|KUBECONFIG$|KUBERNETES_SERVICE_)/.test(key)) env[key] = value;
  }
  const nodeOptions = [env.NODE_OPTIONS ?? '', ...extraNodeFlags()].join(' ').trim();
  const child = spawn(path.join(repoRoot, 'dist/src/main.js'), ['serve'], {
    cwd: dir,
    stdio: ['ignore', log, log],
    env: {
      ...env,
      HOME: dir,
      SALVE_DATA_DIR: dir,
      SALVE_POLICIES: path.join(dir, 'policies'),
      SALVE_TOKENS_FILE: path.join(dir, 'tokens.yaml'),
      SALVE_LOG_LEVEL: logLevel,
      SALVE_LISTEN: `127.0.0.1:${port}`,
      NODE_OPTIONS: nodeOptions,
    },
  });
  fs.closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`bench: built salve exited early (see ${dir}/salve-server.log)`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const pid = child.pid!;
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    url,
    async stats(): Promise<ServerStats> {
      return {
        ...procStatus(pid),
        heapUsed: Number.NaN,
        cpuMicros: processCpuMicros(pid) ?? Number.NaN,
        loopActiveMs: Number.NaN,
        atMs: performance.now(),
      };
    },
    async kill9() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (alive()) child.kill('SIGTERM');
      await exited;
    },
  };
}
