import { watch, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPolicySource, type PolicySource, type ReloadEvent } from '../../src/policy/source.js';
import { fakeRegistry } from '../fixtures/policies/fake-registry.js';
import { fakeClock } from '../support/fake-clock.js';
import { until } from '../support/wait.js';

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

/** The test's own watch of a directory: the names it has seen change. */
function watchNames(dir: string) {
  const names = new Set<string>();
  const watcher = watch(dir, (_event, name) => {
    if (name) names.add(String(name));
  });
  return {
    saw: (name: string) => until(`a change of ${name}`, () => names.has(name)),
    close: () => watcher.close(),
  };
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
    await until('the reload', () => names(source!).length === 2);
    expect(events.at(-1)).toEqual({ ok: true, policies: 2 });

    const good = source.current();
    await writeFile(join(dir, 'a.yaml'), `${policyFile('first', 'second')}    bogus: 1\n`);
    await until('the reload', () => events.at(-1)?.ok === false);
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
    await until('the reload', () => source!.status().ok);
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
    await until('the reload', () => names(source!).includes('renamed'));
    await writeFile(join(dir, 'b.yml'), policyFile('added'));
    await until('the reload', () => names(source!).includes('added'));
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
    await until('the reload', () => names(source!).includes('v2'));
    expect(names(source)).toEqual(['v2']);
  });

  it('coalesces a burst of writes into one reload, and stops watching after close', async () => {
    await writeFile(join(dir, 'a.yaml'), policyFile('first'));
    const { log } = captureLog();
    const events: ReloadEvent[] = [];
    // The quiet time runs on a fake clock: nothing reloads until the test moves it.
    const quiet = fakeClock();
    source = await createPolicySource({
      dir,
      registry,
      log,
      debounceMs: 150,
      debounceClock: quiet,
      onReload: (e) => events.push(e),
    });
    source.watch();
    const seen = watchNames(dir);
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, 'a.yaml'), policyFile(`burst${i}`));
    // Events arrive in order, to every watch of the directory at once: once the test's own watch has seen the
    // marker, the source has seen the whole burst.
    writeFileSync(join(dir, 'marker-1'), '');
    await seen.saw('marker-1');
    expect(events).toEqual([]);
    await quiet.advance(150);
    await until('the reload', () => events.length > 0);
    expect(events).toEqual([{ ok: true, policies: 1 }]);
    expect(names(source)).toEqual(['burst4']);
    expect(quiet.pending()).toBe(0); // no second reload is waiting for its quiet time

    source.close();
    await writeFile(join(dir, 'a.yaml'), policyFile('after-close'));
    writeFileSync(join(dir, 'marker-2'), '');
    await seen.saw('marker-2');
    expect(quiet.pending()).toBe(0); // the closed source did not even start waiting
    await quiet.advance(150);
    expect(events).toHaveLength(1);
    expect(names(source)).toEqual(['burst4']);
    seen.close();
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
