import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { prepareSalve, salveApi, scorerLabels } from '../e2e/support/closed-loop.js';
import { sumOf } from '../e2e/support/prom-text.js';
import { runTool, warnSkip, works } from '../e2e/support/tools.js';
import { startChildSalve } from '../support/child-salve.js';
import { cleanupStack } from '../support/cleanup.js';
import { payload, repoRoot } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

const composeCommand: string[] | null = works('docker', ['compose', 'version'])
  ? ['docker', 'compose']
  : works('docker-compose', ['version'])
    ? ['docker-compose']
    : null;
if (composeCommand === null) {
  warnSkip(
    'docker compose config',
    'docker compose (or docker-compose)',
    'apt-get install -y docker-compose',
  );
}

type ComposeService = {
  build?: { context: string; target?: string };
  image?: string;
  volumes?: string[];
  environment?: Record<string, string>;
  read_only?: boolean;
  user?: string;
};
const compose = YAML.parse(fs.readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};

async function startModelServer(cleanup: ReturnType<typeof cleanupStack>): Promise<string> {
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(repoRoot, 'deploy/compose/model-server.mjs')],
    {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  cleanup.defer(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += String(d);
      const m = /"event":"listening","port":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`model server exited (${code}): ${out}`)));
  });
  return `http://127.0.0.1:${port}`;
}

describe('docker-compose.yml', () => {
  const cleanup = cleanupStack();
  afterEach(() => cleanup.run());

  it.skipIf(composeCommand === null)('is valid for `docker compose config -q`', () => {
    const [command, ...args] = composeCommand!;
    const r = runTool(command!, [...args, '-f', 'docker-compose.yml', 'config', '-q']);
    expect(r.code, r.out).toBe(0);
  });

  it('closes the loop: model server, Prometheus with the rules, Alertmanager, and salve from the production stage', () => {
    const s = compose.services;
    expect(Object.keys(s).sort()).toEqual(['alertmanager', 'model-server', 'prometheus', 'salve']);
    expect(s.salve?.build).toEqual({ context: '.', target: 'production' });
    expect(s.salve?.read_only).toBe(true);
    expect(s.salve?.user).toBe('1000:1000');
    expect(s.salve?.environment?.SALVE_ALERTMANAGER_URL).toBe('http://alertmanager:9093');
    expect(s['model-server']?.image).toMatch(/^node:22-.*slim$/);
    expect(s.prometheus?.volumes).toContain('./deploy/prometheus/rules.yml:/etc/prometheus/rules.yml:ro');
    // Every file the services mount is in the repository.
    for (const service of Object.values(s)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./')) expect(fs.existsSync(path.join(repoRoot, source)), source).toBe(true);
      }
    }
    // Alertmanager's token is the one salve's tokens file knows, by digest, with the alertmanager scope.
    const token = fs.readFileSync(path.join(repoRoot, 'deploy/compose/alertmanager-token'), 'utf8').trim();
    const tokens = YAML.parse(
      fs.readFileSync(path.join(repoRoot, 'deploy/compose/tokens.yaml'), 'utf8'),
    ) as Array<{
      scopes: string[];
      sha256: string;
    }>;
    const digest = createHash('sha256').update(token).digest('hex');
    expect(tokens.find((t) => t.sha256 === digest)?.scopes).toEqual(['alertmanager']);
  });

  it.skipIf(!works('amtool', ['--version']) || !works('promtool', ['--version']))(
    'mounts an Alertmanager config amtool accepts and a Prometheus config promtool accepts',
    () => {
      const am = runTool('amtool', ['check-config', 'deploy/compose/alertmanager.yml']);
      expect(am.code, am.out).toBe(0);
      const prom = runTool('promtool', ['check', 'config', '--syntax-only', 'deploy/compose/prometheus.yml']);
      expect(prom.code, prom.out).toBe(0);
    },
  );

  it("the model server's /heal answers salve's webhook action: the errors stop, the same key again is a 409", async () => {
    const model = await startModelServer(cleanup);
    expect((await fetch(`${model}/break`, { method: 'POST' })).status).toBe(200);
    const served = async (code: '200' | '500') =>
      sumOf(await (await fetch(`${model}/metrics`)).text(), 'model_serving_requests_total', { code });
    const failed = () => served('500');
    await waitFor('requests to fail', failed, (n) => n > 0);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-compose-'));
    cleanup.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
    const policies = path.join(dir, 'policies');
    fs.mkdirSync(policies);
    const policy = fs.readFileSync(path.join(repoRoot, 'deploy/compose/policies/model-server.yaml'), 'utf8');
    expect(policy).toContain('http://model-server:8080/heal');
    fs.writeFileSync(
      path.join(policies, 'model-server.yaml'),
      policy.replace('http://model-server:8080', model),
    );
    const setup = prepareSalve({ dir, policiesDir: policies });
    const salve = await startChildSalve(setup.env);
    cleanup.defer(() => salve.stop());

    const alert = (status: 'firing' | 'resolved') =>
      payload([
        {
          status,
          labels: { ...scorerLabels },
          annotations: { summary: 'fraud-scorer 5xx ratio is 30%' },
          startsAt: '2026-11-27T02:00:00.000Z',
        },
      ]);
    const post = (body: unknown) =>
      fetch(`${salve.url}/v1/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${setup.tokens.alertmanager}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post(alert('firing'))).status).toBe(202);
    const api = salveApi(salve.url, setup.tokens.viewer);
    const [heal] = await waitFor(
      'the heal to act',
      api.heals,
      (h) => h.length === 1 && h[0]!.phase === 'resolve',
    );

    const state = (await (await fetch(`${model}/state`)).json()) as {
      faults: Record<string, boolean>;
      healedBy: string[];
    };
    expect(Object.values(state.faults)).toEqual([false, false, false, false]);
    expect(state.healedBy).toHaveLength(1);
    // The errors stop: 200 more requests served (60 of them would fail under the fault), not one failed.
    const before = { failed: await failed(), ok: await served('200') };
    await waitFor(
      '200 more requests',
      () => served('200'),
      (n) => n >= before.ok + 200,
    );
    expect(await failed()).toBe(before.failed);

    expect((await post(alert('resolved'))).status).toBe(202);
    const done = await waitFor(
      'the heal to resolve',
      () => api.heal(heal!.id),
      (h) => h.heal.phase === 'done',
    );
    expect(done.heal.state).toBe('resolved');
    const finished = done.timeline.find((r) => r.type === 'action.finished');
    expect(finished?.outcome).toBe('changed');
    expect(String(finished?.data.detail)).toContain('/heal');

    // A retry of the same heal step carries the same key: the model server says it has it already.
    const again = await fetch(`${model}/heal`, {
      method: 'POST',
      headers: { 'idempotency-key': state.healedBy[0]! },
    });
    expect(again.status).toBe(409);
  }, 90_000);
});
