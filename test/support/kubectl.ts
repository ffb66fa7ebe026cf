import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whether the real kubectl is installed; cross-checks against it are skipped (with a warning) otherwise. */
export const hasKubectl = (process.env.PATH ?? '')
  .split(delimiter)
  .some((d) => d !== '' && existsSync(join(d, 'kubectl')));

export type KubectlResult = { code: number; stdout: string; stderr: string };
export type Kubectl = (...args: string[]) => Promise<KubectlResult>;

/**
 * kubectl bound to one kubeconfig and discovery cache. Asynchronous on purpose: the simulator it talks to answers
 * from this same process.
 */
export function kubectlFor(kubeconfig: string, cacheDir: string): Kubectl {
  return async (...args) => {
    try {
      const out = await run('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], {
        timeout: 20_000,
      });
      return { code: 0, stdout: out.stdout, stderr: out.stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
}

/**
 * A long-running kubectl (`get -w`, `rollout status`): its output so far, a wait for a condition on it (or for
 * its exit, whichever comes first), its exit code, and a stop.
 */
export function streamKubectl(kubeconfig: string, cacheDir: string, ...args: string[]) {
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args]);
  let out = '';
  const waiters: Array<() => void> = [];
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  const onData = (d: Buffer) => {
    out += d.toString();
    wake();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number>((resolve) => {
    child.once('close', (code) => {
      resolve(code ?? 1);
      wake();
    });
  });
  return {
    output: () => out,
    running: () => child.exitCode === null && child.signalCode === null,
    exited: () => exited,
    waitFor: (pred: (text: string) => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!pred(out) && child.exitCode === null && child.signalCode === null) return;
          waiters.splice(waiters.indexOf(check), 1);
          resolve();
        };
        waiters.push(check);
        check();
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/** kubectl in one namespace, its discovery cache beside the kubeconfig (which the test removes). */
export function kubectlInNamespace(kubeconfig: string, namespace: string): Kubectl {
  const kubectl = kubectlFor(kubeconfig, join(dirname(kubeconfig), 'cache'));
  return (...args) => kubectl('-n', namespace, ...args);
}

/** `kubectl rollout history` as rows of [revision, change-cause]. */
export function historyRows(stdout: string): Array<[string, string]> {
  return stdout
    .split('\n')
    .filter((line) => /^\d+\s/.test(line))
    .map((line) => {
      const [revision = '', ...cause] = line.trim().split(/\s+/);
      return [revision, cause.join(' ')];
    });
}
