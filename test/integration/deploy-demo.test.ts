import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasAlertmanager } from '../e2e/support/alertmanager.js';
import { repoRoot } from '../support/fixtures.js';

async function runDemo(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'deploy/demo/run.ts'), ...args],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += String(d);
  });
  child.stderr.on('data', (d) => {
    out += String(d);
  });
  const timer = setTimeout(() => child.kill('SIGINT'), 100_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, out };
}

/** True when something still accepts connections at the URL. */
function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const urlsIn = (out: string) => [...new Set(out.match(/http:\/\/127\.0\.0\.1:\d+/g) ?? [])];

function expectTheStory(out: string) {
  expect(out).toMatch(
    /cluster\s+kube-sim on .*fraud-scorer at revision 2, registry\.example\/fraud-scorer:1\.5\.0/,
  );
  expect(out).toMatch(
    /heal\s+opened heal_\w+ \(policy demo-scorer-rollback, Deployment\/ml-prod\/fraud-scorer\)/,
  );
  expect(out).toMatch(/action\s+k8s\.rollback changed: .*from revision 2 to revision 1/);
  expect(out).toMatch(/cluster\s+pod template changed: .*1\.5\.0 → .*1\.4\.0 \(revision 1's template\)/);
  expect(out).toMatch(/cluster\s+rollout complete: revision 3/);
  expect(out).toMatch(/verify\s+rollout done/);
  expect(out).toMatch(/verify\s+alerts resolved/);
  expect(out).toMatch(/heal\s+resolved: time to resolve \d+\.\d s/);
  expect(out).toMatch(/audit\s+chain verified: \d+ records/);
  // Each line carries the time since the start.
  expect(out).toMatch(/^\[\s*\d+\.\d\ds\] heal/m);
  const order = [
    'heal      opened',
    'k8s.rollback changed',
    'rollout complete',
    'heal      resolved',
    'chain verified',
  ];
  const at = order.map((line) => out.indexOf(line));
  expect(at).toEqual([...at].sort((a, b) => a - b));
}

if (!hasAlertmanager()) {
  console.warn(
    'SKIPPED the demo through Alertmanager: /usr/bin/prometheus-alertmanager is absent; the demo without it still runs',
  );
}

describe('npm run demo', () => {
  it.skipIf(!hasAlertmanager())(
    'tells the closed loop through a real Alertmanager, exits 0 and leaves nothing listening',
    async () => {
      const { code, out } = await runDemo([]);
      expect(code, out).toBe(0);
      expectTheStory(out);
      expect(out).toMatch(/alertmgr\s+Alertmanager on http/);
      expect(out).toMatch(/pushed to Alertmanager/);
      expect(out).toMatch(/resolved the alert in Alertmanager/);
      for (const url of urlsIn(out)) expect(await listening(url), url).toBe(false);
    },
    120_000,
  );

  it('without Alertmanager posts the payloads itself, says so, and tells the same story', async () => {
    const { code, out } = await runDemo(['--no-alertmanager']);
    expect(code, out).toBe(0);
    expectTheStory(out);
    expect(out).toMatch(/alertmgr\s+not used/);
    expect(out).toMatch(/posted deploy\/alertmanager\/examples\/model-error-rate-firing\.json to salve/);
    expect(out).toMatch(/posted the resolved payload to salve/);
    for (const url of urlsIn(out)) expect(await listening(url), url).toBe(false);
  }, 120_000);
});
