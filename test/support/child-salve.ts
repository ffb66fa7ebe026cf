import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { repoRoot } from './fixtures.js';
import { GiveUp, until } from './wait.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export type ChildSalve = {
  url: string;
  process: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (null after a signal) when the process ends. */
  exited: Promise<number | null>;
  /** Resolves once /healthz answers; throws with the output if the process exits first or `ms` pass. */
  waitHealthy(ms?: number): Promise<void>;
  /** kill -9: no shutdown hook runs, nothing is flushed on the way out. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
};

/** Runs `salve serve` as a real child process (through tsx, from the sources), without waiting for it. */
export async function spawnChildSalve(env: Record<string, string>, port?: number): Promise<ChildSalve> {
  const listenPort = port ?? (await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/main.ts'), 'serve'], {
    cwd: repoRoot,
    env: { ...process.env, SALVE_LISTEN: `127.0.0.1:${listenPort}`, SALVE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  const url = `http://127.0.0.1:${listenPort}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    url,
    process: child,
    output: () => output,
    exited,
    async waitHealthy(ms = 60_000) {
      const healthy = async () => {
        if (child.exitCode !== null) throw new GiveUp(`salve exited early (${child.exitCode}):\n${output}`);
        // Refused while not listening yet: not yet.
        return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).ok;
      };
      try {
        await until('salve to answer /healthz', healthy, { timeoutMs: ms });
      } catch (err) {
        if (err instanceof GiveUp) throw err;
        child.kill('SIGKILL');
        throw new Error(`salve did not start within ${ms / 1000} s:\n${output}`);
      }
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** Runs `salve serve` as a real child process and waits until it answers /healthz. */
export async function startChildSalve(env: Record<string, string>, port?: number): Promise<ChildSalve> {
  const child = await spawnChildSalve(env, port);
  await child.waitHealthy();
  return child;
}
