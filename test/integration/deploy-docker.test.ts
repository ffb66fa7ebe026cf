import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareSalve } from '../e2e/support/closed-loop.js';
import { parseDockerfile, type Stage, stageEnv } from '../e2e/support/dockerfile.js';
import { runTool, warnSkip, works } from '../e2e/support/tools.js';
import { freePort, startChildSalve } from '../support/child-salve.js';
import { cleanupStack } from '../support/cleanup.js';
import { repoRoot } from '../support/fixtures.js';

const dockerfileText = fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
const { args, stages } = parseDockerfile(dockerfileText);
const stage = (name: string): Stage => {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name} in the Dockerfile`);
  return found;
};
const runs = (s: Stage) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
const one = (s: Stage, op: string) => s.instructions.find((i) => i.op === op)?.args;
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  engines: { node: string };
  bin: Record<string, string>;
};

const hasHadolint = works('hadolint', ['--version']);
if (!hasHadolint)
  warnSkip('hadolint Dockerfile', 'hadolint', 'not packaged for Debian; the property tests below stand in');

describe('Dockerfile', () => {
  const cleanup = cleanupStack();
  afterEach(() => cleanup.run());

  it.skipIf(!hasHadolint)('passes hadolint', () => {
    const r = runTool('hadolint', ['Dockerfile']);
    expect(r.code, r.out).toBe(0);
  });

  it('builds in stages with the toolchain and runs a production stage that is last, so it is the default target', () => {
    expect(stages.map((s) => s.name)).toEqual(['toolchain', 'build', 'prod-deps', 'production']);
    expect(runs(stage('toolchain')).join(' ')).toMatch(
      /apt-get install -y --no-install-recommends python3 make g\+\+/,
    );
    expect(stage('build').from).toBe('toolchain');
    expect(runs(stage('build'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^npm ci\b/), 'npm run build']),
    );
    expect(stage('prod-deps').from).toBe('toolchain');
    expect(runs(stage('prod-deps'))[0]).toMatch(/^npm ci --omit=dev\b/);
  });

  it('runs on a slim Node.js LTS that package.json engines accept', () => {
    const image = args.NODE_IMAGE ?? '';
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ARG reference, verbatim
    expect(stage('production').from).toBe('${NODE_IMAGE}');
    expect(image).toMatch(/^node:\d+-(bookworm-)?slim$/);
    const major = Number(/^node:(\d+)/.exec(image)?.[1]);
    expect(major % 2, 'an even (LTS) major').toBe(0);
    // engines lists each supported major (`^20.19.0 || ^22.12.0 || ^24.0.0`): the image's must be one of them.
    const majors = [...pkg.engines.node.matchAll(/\^(\d+)\./g)].map((m) => Number(m[1]));
    expect(majors).toContain(major);
    // better-sqlite3 12 runs on Node.js 20 to 24; 13 would need 22.
    expect(major).toBeLessThanOrEqual(24);
  });

  it('production: no toolchain, prod node_modules and dist from the other stages, non-root, /data volume', () => {
    const prod = stage('production');
    expect(runs(prod).join(' ')).not.toMatch(/apt-get|npm (ci|install)|g\+\+/);
    const copies = prod.instructions.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies).toContain('--from=prod-deps /app/node_modules ./node_modules');
    expect(copies).toContain('--from=build /app/dist ./dist');
    expect(copies).toContain('policies /etc/salve/policies');
    const user = one(prod, 'USER') ?? 'root';
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(one(prod, 'VOLUME')).toBe('["/data"]');
    expect(one(prod, 'EXPOSE')).toBe('9095');
    expect(stageEnv(prod)).toMatchObject({
      NODE_ENV: 'production',
      SALVE_LISTEN: '0.0.0.0:9095',
      SALVE_DATA_DIR: '/data',
      SALVE_POLICIES: '/etc/salve/policies',
    });
    // The entry point is the built CLI that package.json's bin names, run by its first line (node with the
    // shipped NODE_OPTIONS: test/integration/node-options.test.ts).
    expect(one(prod, 'WORKDIR')).toBe('/app');
    expect(one(prod, 'ENTRYPOINT')).toBe(`["/app/${pkg.bin.salve}"]`);
    expect(one(prod, 'CMD')).toBe('["serve"]');
  });

  it('bakes in no secret', () => {
    for (const s of stages) {
      for (const i of s.instructions.filter((x) => x.op === 'ENV' || x.op === 'ARG')) {
        expect(i.args, `${s.name}: ${i.op} ${i.args}`).not.toMatch(/TOKEN|SECRET|PASSWORD|KEY=/i);
      }
      for (const i of s.instructions.filter((x) => x.op === 'COPY'))
        expect(i.args).not.toMatch(/tokens|\.env|data\b/);
    }
  });

  it('.dockerignore lets in exactly what the COPY instructions need', () => {
    const lines = fs
      .readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    const fromContext = stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(new Set(allowed)).toEqual(new Set(fromContext.map((p) => p.replace(/\/$/, ''))));
    for (const p of allowed) expect(fs.existsSync(path.join(repoRoot, p)), p).toBe(true);
  });

  it('the HEALTHCHECK command (node, no curl) passes against a live salve and fails once it is gone', async () => {
    const healthcheck = one(stage('production'), 'HEALTHCHECK') ?? '';
    const exec = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    expect(exec[0]).toBe('node');
    expect(exec.join(' ')).toContain('/healthz');
    const setup = prepareSalve({});
    cleanup.defer(() => fs.rmSync(setup.dir, { recursive: true, force: true }));
    const port = await freePort();
    const salve = await startChildSalve(setup.env, port);
    cleanup.defer(() => salve.stop());
    const check = () =>
      runTool(process.execPath, exec.slice(1), 10_000, { SALVE_LISTEN: `127.0.0.1:${port}` }).code;
    expect(check()).toBe(0);
    await salve.stop();
    expect(check()).toBe(1);
  }, 90_000);
});
