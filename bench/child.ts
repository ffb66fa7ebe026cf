import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { salveNodeFlags } from './node-flags.js';
import type { FromServer, ServerStats, ToServer } from './server.js';

const serverScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'server.ts');

/**
 * salve; the bare route (parse, 202); the floor (parse, commit the rows, 202: bench/floor-server.ts), with the
 * alerts' identity keyed as salve keys it (fingerprint first) or by start time first; the floor on PostgreSQL
 * (bench/floor-postgres.ts, the database its SALVE_STORE setting names).
 */
export type ServerKind = 'salve' | 'bare' | 'floor' | 'floor-by-time' | 'floor-postgres';

export type ServerChild = {
  url: string;
  stats(gc?: boolean): Promise<ServerStats>;
  /** SIGKILL: nothing is flushed on the way out, so what is in the store was committed before the 202. */
  kill9(): Promise<void>;
  /** Graceful stop (needed for a CPU profile to be written). */
  stop(): Promise<void>;
};

export type StartOptions = {
  kind: ServerKind;
  /** Workspace with policies/ and tokens.yaml (salve only); the log goes to server.log in it. */
  dir: string;
  logLevel?: string;
  /** salve only: run the heal scheduler and notification dispatcher too, as `salve serve` does. */
  engine?: boolean;
  /** Write CPU profiles into `<dir>/<label>/` on a graceful stop (one per thread: main and tsx's loader). */
  profile?: { dir: string; label: string };
  /** salve only: settings beyond the workspace's, as environment variables (SALVE_STORE, SALVE_KUBECONFIG...). */
  settings?: Record<string, string>;
};

/**
 * The child's environment: the settings the bench chose, and none of the caller's own salve or Kubernetes
 * settings, so a shell with SALVE_STORE or KUBECONFIG exported never points a benchmark at a real store or
 * cluster. HOME is the workspace, so no ~/.kube/config is found either.
 */
function childEnv(options: StartOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(SALVE_|OTEL_|KUBECONFIG$|KUBERNETES_SERVICE_)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, HOME: options.dir, ...options.settings };
}

function request(child: ChildProcess, message: ToServer): Promise<FromServer> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: FromServer) => {
      child.off('exit', onExit);
      resolve(reply);
    };
    const onExit = () => {
      child.off('message', onMessage);
      reject(new Error('bench server exited while answering'));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
    child.send(message);
  });
}

export async function startServer(options: StartOptions): Promise<ServerChild> {
  const args = ['--expose-gc', ...(options.kind === 'salve' ? salveNodeFlags() : []), '--import', 'tsx'];
  if (options.profile) {
    args.push('--cpu-prof', '--cpu-prof-dir', path.join(options.profile.dir, options.profile.label));
  }
  args.push(serverScript, options.kind, '--dir', options.dir, '--log-level', options.logLevel ?? 'info');
  if (options.engine) args.push('--engine');
  // The log goes to a file, as it would to a container runtime's log pipe: written, never read back here.
  const log = fs.openSync(path.join(options.dir, `${options.kind}-server.log`), 'a');
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', log, 'pipe', 'ipc'],
    env: childEnv(options),
  });
  fs.closeSync(log);
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: FromServer) => {
      if (m.type === 'listening') resolve(m.port);
      else reject(new Error(`bench server: unexpected first message ${m.type}`));
    });
    child.once('exit', (code) =>
      reject(new Error(`bench server (${options.kind}) exited early (${code}):\n${stderr}`)),
    );
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    url: `http://127.0.0.1:${port}`,
    async stats(gc = false) {
      const reply = await request(child, { type: 'stats', gc });
      if (reply.type !== 'stats') throw new Error(`bench server: expected stats, got ${reply.type}`);
      const { type: _type, ...stats } = reply;
      return stats;
    },
    async kill9() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (alive()) child.send({ type: 'stop' } satisfies ToServer);
      await exited;
    },
  };
}
