import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { buildTestApp, servingPolicy } from '../support/build-test-app.js';
import { alertmanagerFixtureBody, payload } from '../support/fixtures.js';
import { demoReleasedAgoMs, releaseClock, scenarioDemo, startKubeSim } from '../support/kube-sim/index.js';
import { runCli } from '../support/run-cli.js';
import { until } from '../support/wait.js';

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe('salve check', () => {
  it('accepts the example policies shipped in policies/', async () => {
    const res = await runCli(['check', 'policies']);
    expect(res.stdout).toMatch(/^ok: \d+ policies in \d+ file\(s\)$/m);
    expect(res.code).toBe(0);
  });

  it('warns about notifiers the policies name that this environment does not configure', async () => {
    const bare = await runCli(['check', 'policies'], {
      SALVE_SLACK_WEBHOOK_URL: '',
      SALVE_NOTIFIERS_FILE: '',
    });
    expect(bare.stdout).toMatch(
      /^warning: policy scorer-error-rate notifies "slack", which is not configured here/m,
    );
    const configured = await runCli(['check', 'policies'], {
      SALVE_SLACK_WEBHOOK_URL: 'https://hooks.slack.example/T/B/x',
    });
    expect(configured.stdout).not.toMatch(/notifies "slack"/);
    expect(configured.code).toBe(0);
  }, 90_000); // each salve command is a process of its own compiling with tsx: slow on a shared machine

  it('exits 1 and reports every problem with its file and path', async () => {
    const dir = tempDir('salve-check-');
    fs.writeFileSync(
      path.join(dir, 'bad.yaml'),
      servingPolicy
        .replace('action: k8s.restart', 'action: k8s.reboot')
        .replace('rollout: 5m, resolved: 15m', 'rollout: soon, resolved: 15m'),
    );
    const res = await runCli(['check', dir]);
    expect(res.code).toBe(1);
    const errors = res.stdout.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(res.stdout).toMatch(/bad\.yaml:\d+:\d+ policies\[0\]\.steps\[0\]\.action: .*k8s\.reboot/);
    expect(res.stdout).toMatch(/bad\.yaml:\d+:\d+ policies\[0\]\.steps\[1\]\.verify\.rollout: /);
  });
});

describe('salve test', () => {
  it('prints which policy matches, which target, and what each step would do', async () => {
    const dir = tempDir('salve-test-');
    fs.mkdirSync(path.join(dir, 'policies'));
    fs.writeFileSync(path.join(dir, 'policies', 'serving.yaml'), servingPolicy);
    const file = path.join(dir, 'payload.json');
    fs.writeFileSync(
      file,
      JSON.stringify(
        payload([
          {
            labels: {
              alertname: 'ModelServingErrorRate',
              severity: 'critical',
              namespace: 'ml-prod',
              deployment: 'fraud-scorer',
            },
          },
          {
            labels: {
              alertname: 'ModelServingErrorRate',
              severity: 'critical',
              namespace: 'default',
              deployment: 'x',
            },
          },
        ]),
      ),
    );
    const res = await runCli(['test', '--policies', path.join(dir, 'policies'), file]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/policy scorer-error-rate: open a heal on Deployment\/ml-prod\/fraud-scorer/);
    expect(res.stdout).toMatch(/step 1: .*restart/i);
    expect(res.stdout).toMatch(/policy scorer-error-rate: refused \(not_allowed\)/);
  });

  it('with a cluster configured, says which revision and image a rollback would go to now', async () => {
    const dir = tempDir('salve-test-');
    const released = releaseClock(demoReleasedAgoMs);
    const sim = await startKubeSim({ tickMs: 0, now: released.now });
    try {
      scenarioDemo(sim);
      released.present();
      const file = path.join(dir, 'payload.json');
      const labels = {
        alertname: 'ModelServingErrorRate',
        severity: 'critical',
        namespace: 'ml-prod',
        deployment: 'fraud-scorer',
        model: 'fraud-scorer',
      };
      fs.writeFileSync(file, JSON.stringify(payload([{ labels, startsAt: new Date().toISOString() }])));
      const res = await runCli(['test', '--policies', 'policies', file], {
        SALVE_KUBECONFIG: sim.writeKubeconfig(dir),
        HOME: dir,
      });
      expect(res.code).toBe(0);
      expect(res.stdout).toContain(
        'now: would roll back Deployment ml-prod/fraud-scorer from revision 2 to revision 1 (image registry.example/fraud-scorer:1.4.0)',
      );
      expect(res.stdout).not.toContain('no Kubernetes cluster is configured');
      expect(sim.mutations()).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it('says that a captured payload matching no policy matches nothing', async () => {
    const dir = tempDir('salve-test-');
    const file = path.join(dir, 'firing-one.json');
    fs.writeFileSync(file, alertmanagerFixtureBody('firing-one'));
    const res = await runCli(['test', '--policies', 'policies', file, '--json']);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.alerts[0]).toMatchObject({ alertname: 'DiskFull', matched: 0, outcomes: [] });
  });

  it('names the file and field of a payload that is not an Alertmanager payload', async () => {
    const file = path.join(tempDir('salve-test-'), 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ alerts: 'none', status: 'firing' }));
    const res = await runCli(['test', '--policies', 'policies', file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/SALVE_WEBHOOK_INVALID: .*bad\.json alerts: /);
  });
});

describe('salve audit', () => {
  it('prints the log, verifies the chain, and names the first tampered record', async () => {
    const t = await buildTestApp();
    for (const pod of ['a', 'b']) {
      await t.deliver(
        payload([
          {
            labels: {
              alertname: 'ModelServingErrorRate',
              severity: 'page',
              namespace: 'ml-prod',
              deployment: `d-${pod}`,
            },
          },
        ]),
      );
    }
    await t.close();
    const env = { SALVE_DATA_DIR: t.dir };
    const listed = await runCli(['audit'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/#1 audit\.keyed salve/);
    expect(listed.stdout).toMatch(/#2 delivery\.received alertmanager:salve/);
    expect(listed.stdout).toMatch(/heal\.opened .*policy=scorer-error-rate target=Deployment\/ml-prod\/d-a/);
    const ok = await runCli(['audit', '--verify'], env);
    expect(ok.stdout).toMatch(/^audit chain ok: 5 records, head 5:[0-9a-f]{64} \(keyed from #1\)/);
    expect(ok.code).toBe(0);

    const db = new BetterSqlite3(path.join(t.dir, 'salve.db'));
    db.prepare(`UPDATE audit SET actor = 'someone-else' WHERE seq IN (3, 5)`).run();
    db.close();
    const broken = await runCli(['audit', '--verify'], env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe(
      'audit chain BROKEN: 2 problem(s) in 5 records\n' +
        '  #3: content does not match its seal\n' +
        '  #5: content does not match its seal\n',
    );
  }, 90_000); // each salve command is a process of its own compiling with tsx: slow on a shared machine
});

describe('salve actions', () => {
  it('lists every registered action with its parameters, example and RBAC', async () => {
    const res = await runCli(['actions', '--json']);
    expect(res.code).toBe(0);
    const { actions } = JSON.parse(res.stdout);
    const kinds = actions.map((a: { kind: string }) => a.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['k8s.rollback', 'k8s.restart', 'k8s.scale', 'retrain.cronjob']),
    );
    const rollback = actions.find((a: { kind: string }) => a.kind === 'k8s.rollback');
    expect(rollback.parameters.properties).toHaveProperty('toRevision');
    expect(rollback.rbac).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ resources: expect.arrayContaining(['deployments']) }),
      ]),
    );
    const text = await runCli(['actions']);
    expect(text.stdout).toMatch(/^k8s\.rollback$/m);
    expect(text.stdout).toMatch(/rbac: apps .*deployments/);
  }, 90_000); // each salve command is a process of its own compiling with tsx: slow on a shared machine
});

describe('salve heal', () => {
  it('opens a heal on a running salve and says so; the same idempotency key finds the same heal', async () => {
    const { startChildSalve } = await import('../support/child-salve.js');
    const { prepareSalveDir, testTokens } = await import('../support/build-test-app.js');
    const child = await startChildSalve(prepareSalveDir().env);
    try {
      const args = [
        'heal',
        '--server',
        child.url,
        '--policy',
        'scorer-error-rate',
        '--label',
        'namespace=ml-prod',
        '--label',
        'deployment=fraud-scorer',
        '--reason',
        'by hand',
        '--dry-run',
        '--idempotency-key',
        'k-1',
      ];
      const first = await runCli(args, { SALVE_TOKEN: testTokens.operator });
      expect(first.stdout).toMatch(/^heal heal_\w+ opened: Deployment\/ml-prod\/fraud-scorer/);
      expect(first.code).toBe(0);
      const again = await runCli(args, { SALVE_TOKEN: testTokens.operator });
      expect(again.stdout).toMatch(/already open/);
      const id = /heal (heal_\w+)/.exec(first.stdout)?.[1];
      expect(again.stdout).toContain(id);
      const refused = await runCli(args, { SALVE_TOKEN: testTokens.viewer });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/refused \(403\): SALVE_AUTH_FORBIDDEN/);
    } finally {
      await child.stop();
    }
    // Four processes start from the TypeScript sources (a served salve, three CLI runs): on two busy cores
    // that alone can pass 30 s. The test waits on each one's answer, not on time.
  }, 120_000);
});

describe('salve serve', () => {
  it('on a busy port exits 1 at once with one line naming the address, before opening the store', async () => {
    const dir = tempDir('salve-busy-');
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as net.AddressInfo;
    try {
      const res = await runCli(['serve'], {
        SALVE_LISTEN: `127.0.0.1:${port}`,
        SALVE_DATA_DIR: path.join(dir, 'data'),
        SALVE_POLICIES: 'policies',
        HOME: dir,
      });
      expect(res.code).toBe(1);
      expect(res.stderr).toBe(
        `salve: SALVE_LISTEN_FAILED: cannot listen on 127.0.0.1:${port}: address already in use (is another salve running? set SALVE_LISTEN)\n`,
      );
      expect(res.stdout).toBe('');
      expect(fs.existsSync(path.join(dir, 'data', 'salve.db'))).toBe(false);
    } finally {
      busy.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('logs JSON lines when stdout is not a terminal, readable lines when asked, and no line per probe', async () => {
    const { startChildSalve } = await import('../support/child-salve.js');
    const { prepareSalveDir } = await import('../support/build-test-app.js');
    const json = await startChildSalve(prepareSalveDir().env);
    try {
      const get = async (route: string) => (await fetch(`${json.url}${route}`)).text();
      for (let i = 0; i < 5; i++) await get('/healthz');
      await get('/readyz');
      await get('/v1/heals');
      // The request to /v1/heals is logged: once it is, the probes before it would have been too.
      await until('a request log line', () => json.output().includes('/v1/heals'));
      const lines = json
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'));
      expect(lines.length).toBeGreaterThan(3);
      expect(lines.every((l) => typeof JSON.parse(l).level === 'number')).toBe(true);
      expect(json.output()).not.toContain('/healthz');
      expect(json.output()).not.toContain('/readyz');
    } finally {
      await json.stop();
    }
    const pretty = await startChildSalve({ ...prepareSalveDir().env, SALVE_LOG_FORMAT: 'pretty' });
    try {
      await until('the pretty start line', () => pretty.output().includes('salve is serving'));
      expect(pretty.output()).toMatch(/INFO.*salve is serving/);
      expect(pretty.output()).not.toMatch(/^\{"level"/m);
    } finally {
      await pretty.stop();
    }
  }, 120_000);
});
