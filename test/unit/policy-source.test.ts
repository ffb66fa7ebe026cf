import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPolicySource, type PolicySource, type ReloadEvent } from '../../src/policy/source.js';
import { fakeRegistry } from '../fixtures/policies/fake-registry.js';

const registry = fakeRegistry();

function policyFile(...names: string[]): string {
  const body = names
    .map(
      (name) =>
        `  - name: ${name}\n    match: [alertname="${name}"]\n    target: { kind: Deployment, namespace: ml-prod, name: scorer }\n    steps: [{ action: fake.restart }]\n`,
    )
    .join('');
  return `apiVersion: salve/v1\npolicies:\n${body}`;
}

function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const names = (source: PolicySource) => source.current().policies.map((p) => p.name);

describe('createPolicySource', () => {
  let dir: string;
  let source: PolicySource | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'salve-policies-'));
  });

  afterEach(async () => {
    source?.close();
    source = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('throws SALVE_POLICY_INVALID listing the problems when the first load fails', async () => {
    await writeFile(join(dir, 'a.yaml'), 'apiVersion: salve/v1\npolicies: [{ name: x }]\n');
    const { log } = captureLog();
    const err = await createPolicySource({ dir, registry, log }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SALVE_POLICY_INVALID', details: { problems: expect.any(Array) } });
    const file = join(dir, 'a.yaml');
    expect((err as Error).message).toBe(
      [
        `policies in ${dir} are invalid:`,
        `  ${file}:2:12 policies[0].match: is required`,
        `  ${file}:2:12 policies[0].target: is required`,
        `  ${file}:2:12 policies[0].steps: is required`,
      ].join('\n'),
    );
  });

  it('throws when the directory does not exist', async () => {
    const { log } = captureLog();
    await expect(createPolicySource({ dir: join(dir, 'missing'), registry, log })).rejects.toMatchObject({
      code: 'SALVE_POLICY_INVALID',
    });
  });

  it('swaps in a good edit, keeps the last good table on a bad one, and recovers when fixed', async () => {
    await writeFile(join(dir, 'a.yaml'), policyFile('first'));
    const { log, lines } = captureLog();
    const events: ReloadEvent[] = [];
    source = await createPolicySource({
      dir,
      registry,
      log,
      debounceMs: 50,
      onReload: (e) => events.push(e),
    });
    source.watch();
    expect(names(source)).toEqual(['first']);
    expect(source.status()).toMatchObject({ dir, ok: true, policies: 1, problems: [] });

    await writeFile(join(dir, 'a.yaml'), policyFile('first', 'second'));
    await waitFor(() => names(source!).length === 2);
    expect(events.at(-1)).toEqual({ ok: true, policies: 2 });

    const good = source.current();
    await writeFile(join(dir, 'a.yaml'), `${policyFile('first', 'second')}    bogus: 1\n`);
    await waitFor(() => events.at(-1)?.ok === false);
    expect(source.current()).toBe(good);
    const status = source.status();
    expect(status).toMatchObject({ ok: false, policies: 2, loadedAt: good.loadedAt });
    expect(status.problems).toEqual([
      expect.objectContaining({
        file: join(dir, 'a.yaml'),
        path: 'policies[1].bogus',
        message: 'unknown key "bogus"',
        line: 11,
      }),
    ]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'policy reload failed; keeping the last good table',
        problems: status.problems,
      }),
    );

    await writeFile(join(dir, 'a.yaml'), policyFile('third'));
    await waitFor(() => source!.status().ok);
    expect(names(source)).toEqual(['third']);
    expect(source.status().problems).toEqual([]);
  });

  it('notices an editor replacing a file by rename, and a new file appearing', async () => {
    await writeFile(join(dir, 'a.yaml'), policyFile('first'));
    const { log } = captureLog();
    source = await createPolicySource({ dir, registry, log, debounceMs: 50 });
    source.watch();
    await writeFile(join(dir, '.a.yaml.swp'), policyFile('renamed'));
    await rename(join(dir, '.a.yaml.swp'), join(dir, 'a.yaml'));
    await waitFor(() => names(source!).includes('renamed'));
    await writeFile(join(dir, 'b.yml'), policyFile('added'));
    await waitFor(() => names(source!).includes('added'));
    expect(names(source)).toEqual(['renamed', 'added']);
  });

  it('follows a Kubernetes ConfigMap swap of the ..data symlink', async () => {
    await mkdir(join(dir, '..2024_01_01_v1'));
    await writeFile(join(dir, '..2024_01_01_v1', 'serving.yaml'), policyFile('v1'));
    await symlink('..2024_01_01_v1', join(dir, '..data'));
    await symlink(join('..data', 'serving.yaml'), join(dir, 'serving.yaml'));
    const { log } = captureLog();
    source = await createPolicySource({ dir, registry, log, debounceMs: 50 });
    source.watch();
    expect(names(source)).toEqual(['v1']);
    expect(source.current().files).toEqual([join(dir, 'serving.yaml')]);

    // What the kubelet does: write the new version beside the old, point a temp link at it, rename over.
    await mkdir(join(dir, '..2024_01_02_v2'));
    await writeFile(join(dir, '..2024_01_02_v2', 'serving.yaml'), policyFile('v2'));
    await symlink('..2024_01_02_v2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await waitFor(() => names(source!).includes('v2'));
    expect(names(source)).toEqual(['v2']);
  });

  it('coalesces a burst of writes into one reload, and stops watching after close', async () => {
    await writeFile(join(dir, 'a.yaml'), policyFile('first'));
    const { log } = captureLog();
    const events: ReloadEvent[] = [];
    source = await createPolicySource({
      dir,
      registry,
      log,
      debounceMs: 150,
      onReload: (e) => events.push(e),
    });
    source.watch();
    // Synchronous writes: the whole burst lands inside one debounce window even on a loaded machine.
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, 'a.yaml'), policyFile(`burst${i}`));
    await waitFor(() => events.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(events).toEqual([{ ok: true, policies: 1 }]);
    expect(names(source)).toEqual(['burst4']);

    source.close();
    await writeFile(join(dir, 'a.yaml'), policyFile('after-close'));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(names(source)).toEqual(['burst4']);
  });

  it('reloads on demand and reports the outcome', async () => {
    await writeFile(join(dir, 'a.yaml'), policyFile('first'));
    const { log } = captureLog();
    source = await createPolicySource({ dir, registry, log });
    await writeFile(join(dir, 'a.yaml'), 'apiVersion: salve/v1\npolicies: [\n');
    const bad = await source.reload();
    expect(bad.ok).toBe(false);
    expect(bad.problems[0]).toMatchObject({ file: join(dir, 'a.yaml'), line: 3 });
    expect(names(source)).toEqual(['first']);
    await writeFile(join(dir, 'a.yaml'), policyFile('second'));
    expect(await source.reload()).toEqual({ ok: true, problems: [] });
    expect(names(source)).toEqual(['second']);
  });
});
