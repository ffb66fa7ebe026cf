import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whether the real kubectl is on PATH: the tests that compare with it skip, saying so, without it. */
export const hasKubectl = (process.env.PATH ?? '').split(delimiter).some((dir) => {
  if (dir === '') return false;
  try {
    accessSync(join(dir, 'kubectl'), constants.X_OK);
    return true;
  } catch {
    return false;
  }
});
if (!hasKubectl) console.warn('kubectl cross-checks SKIPPED: kubectl is not on PATH');

export type KubectlResult = { code: number; stdout: string; stderr: string };

/**
 * kubectl against the cluster of a kubeconfig, in a namespace. Asynchronous on purpose: the simulator answers
 * from this same process. Its HOME and cache stay beside the kubeconfig, which the test removes.
 */
export function kubectlFor(kubeconfig: string, namespace: string) {
  const home = dirname(kubeconfig);
  return async (...args: string[]): Promise<KubectlResult> => {
    try {
      const { stdout, stderr } = await run(
        'kubectl',
        ['--kubeconfig', kubeconfig, '--cache-dir', join(home, 'cache'), '-n', namespace, ...args],
        { env: { PATH: process.env.PATH ?? '', HOME: home }, timeout: 20_000 },
      );
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return {
        code: typeof e.code === 'number' ? e.code : 1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      };
    }
  };
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
