import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';

let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function waitForLine(proc: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = pattern.exec(out);
      if (m) resolve(m);
    });
    proc.once('exit', (code) =>
      reject(new Error(`kube-sim exited with ${code} before printing ${pattern}: ${out}`)),
    );
  });
}

describe('kube-sim standalone CLI', () => {
  it('serves the demo scenario, writes its kubeconfig where asked and exits cleanly on SIGTERM', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-cli-'));
    const path = join(dir, 'nested', 'kubeconfig.yaml');
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/kube-sim/cli.ts', '--scenario', 'demo', '--kubeconfig', path],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [, url] = await waitForLine(
      child,
      /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*kubeconfig: (.+)\n/,
    );
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    expect(kc.getCurrentCluster()?.server).toBe(url);
    expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe('ml-prod');
    const d = await kc
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: 'fraud-scorer', namespace: 'ml-prod' });
    expect(d.spec?.replicas).toBe(3);
    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
