import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shippedNodeOptions } from '../../bench/node-flags.js';
import { prepareSalve } from '../e2e/support/closed-loop.js';
import { parseDockerfile } from '../e2e/support/dockerfile.js';
import { freePort } from '../support/child-salve.js';
import { cleanupStack } from '../support/cleanup.js';
import { repoRoot } from '../support/fixtures.js';
import { until } from '../support/wait.js';

// How salve starts: the first line of src/main.ts (kept by tsc in dist/src/main.js, the `salve` bin) runs node
// with V8's young generation fixed at what the benchmark measures, before the caller's own NODE_OPTIONS.
const firstLine = fs.readFileSync(path.join(repoRoot, 'src/main.ts'), 'utf8').split('\n', 1)[0]!;
const flag = '--max-semi-space-size=16';
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  bin: { salve: string };
  scripts: Record<string, string>;
};

/** The shebang's interpreter and its one argument, as Linux passes them (everything after the path, whole). */
function interpreter(line: string): { path: string; arg: string } {
  const rest = line.slice('#!'.length);
  const space = rest.indexOf(' ');
  return { path: rest.slice(0, space), arg: rest.slice(space + 1) };
}

/** V8's heap limit (old generation + 3 semi-spaces) and the NODE_OPTIONS of a node started by `argv`. */
function heapOf(argv: string[], env: NodeJS.ProcessEnv): { limit: number; nodeOptions: string } {
  const probe =
    "const v8 = require('node:v8'); console.log(JSON.stringify({ limit: v8.getHeapStatistics().heap_size_limit, nodeOptions: process.env.NODE_OPTIONS ?? '' }))";
  const run = spawnSync(argv[0]!, [...argv.slice(1), '-e', probe], { env, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { limit: number; nodeOptions: string };
}

const withoutNodeOptions = (): NodeJS.ProcessEnv => {
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  return env;
};

describe('how salve starts (V8 young generation)', () => {
  const cleanup = cleanupStack();
  afterEach(() => cleanup.run());

  it('the bin, npm start, the image and the benchmark all start it through the first line of src/main.ts', () => {
    expect(firstLine).toBe(`#!/usr/bin/env -S "NODE_OPTIONS=${flag} \${NODE_OPTIONS}" node`);
    expect(pkg.bin.salve).toBe('dist/src/main.js');
    // The build makes the bin executable, so `npm start` and the image run it by its first line.
    expect(pkg.scripts.build).toContain(`chmod +x ${pkg.bin.salve}`);
    expect(pkg.scripts.start).toBe(`${pkg.bin.salve} serve`);
    const { stages } = parseDockerfile(fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
    const production = stages.at(-1)!;
    const one = (op: string) => production.instructions.find((i) => i.op === op)?.args;
    expect(one('WORKDIR')).toBe('/app');
    expect(one('ENTRYPOINT')).toBe(`["/app/${pkg.bin.salve}"]`);
    expect(shippedNodeOptions()).toEqual([flag]);
  });

  it('the first line gives node 16 MiB semi-spaces whatever memory it sees; the caller NODE_OPTIONS win', () => {
    const shebang = interpreter(firstLine);
    const asShipped = heapOf([shebang.path, shebang.arg], withoutNodeOptions());
    expect(asShipped.nodeOptions.trim()).toBe(flag);
    expect(asShipped.limit).toBe(heapOf(['node', flag], withoutNodeOptions()).limit);

    const operator = { ...withoutNodeOptions(), NODE_OPTIONS: '--max-semi-space-size=64' };
    const overridden = heapOf([shebang.path, shebang.arg], operator);
    expect(overridden.nodeOptions).toBe(`${flag} --max-semi-space-size=64`);
    const explicit64 = heapOf(['node', '--max-semi-space-size=64'], withoutNodeOptions()).limit;
    expect(overridden.limit).toBe(explicit64);
    // Three semi-spaces of 64 instead of 16 MiB: the limit says which one V8 took.
    expect(explicit64 - asShipped.limit).toBe(3 * 48 * 2 ** 20);
  });

  it.skipIf(os.platform() !== 'linux')(
    'salve serve started by that line runs with it (its environment as /proc shows it)',
    async () => {
      const setup = prepareSalve({});
      cleanup.defer(() => fs.rmSync(setup.dir, { recursive: true, force: true }));
      const port = await freePort();
      const shebang = interpreter(firstLine);
      // As the kernel runs the built bin, with tsx and the sources standing in for dist/src/main.js.
      const child = spawn(
        shebang.path,
        [shebang.arg, '--import', 'tsx', path.join(repoRoot, 'src/main.ts'), 'serve'],
        {
          cwd: repoRoot,
          env: {
            ...withoutNodeOptions(),
            ...setup.env,
            SALVE_LISTEN: `127.0.0.1:${port}`,
            SALVE_LOG_LEVEL: 'warn',
          },
          stdio: 'ignore',
        },
      );
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      cleanup.defer(async () => {
        child.kill('SIGTERM');
        await exited;
      });
      await until(
        'salve to answer /healthz',
        async () =>
          (
            await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) }).catch(
              () => null,
            )
          )?.ok === true,
        { timeoutMs: 60_000 },
      );
      // env replaced itself with node (same process): salve runs with the NODE_OPTIONS the line set.
      const environ = fs.readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
      expect(environ).toContain(`NODE_OPTIONS=${flag} `);
    },
    90_000,
  );
});
