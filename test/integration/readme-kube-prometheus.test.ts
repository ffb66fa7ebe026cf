import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/fixtures.js';

// The README's "Using salve with kube-prometheus" commands, run as written in a shell. Only `my-policies` moves
// to a temporary directory, so the checkout stays clean.

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const start = readme.indexOf('## Using salve with kube-prometheus');
const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-readme-kp-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('README: Using salve with kube-prometheus', () => {
  it('copies the pack, fills its namespaces, checks it and previews a stock alert with it', () => {
    expect(start).toBeGreaterThan(0);
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const commands = block.split('\n').filter((l) => l.trim() !== '');
    expect(commands).toHaveLength(4);
    const outputs = commands.map((command) => {
      const res = spawnSync(
        'bash',
        ['-c', command.replaceAll('my-policies', path.join(dir, 'my-policies'))],
        {
          cwd: repoRoot,
          encoding: 'utf8',
          env: { ...process.env, HOME: dir, SALVE_KUBECONFIG: '', KUBECONFIG: '' },
        },
      );
      expect(res.status, `${command}\n${res.stderr}`).toBe(0);
      return res.stdout;
    });
    const pack = fs.readFileSync(path.join(dir, 'my-policies', 'kube-prometheus.yaml'), 'utf8');
    expect(pack.match(/allow: \{ namespaces: \[shop, payments\] \}/g)).toHaveLength(6);
    expect(outputs[2]).toMatch(/^ok: 6 policies in 1 file\(s\)$/m);
    expect(outputs[3]).toContain(
      'policy kube-pod-unhealthy: would act on the controller of Pod shop/checkout-6659b96fbc-87jpc; cannot tell which',
    );
    // Two of the commands start salve through npm and tsx: slow on a busy machine.
  }, 180_000);
});
