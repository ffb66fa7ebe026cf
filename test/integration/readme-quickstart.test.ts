import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/child-salve.js';
import { repoRoot } from '../support/fixtures.js';
import { hasKubectl } from '../support/kubectl.js';
import { GiveUp, until } from '../support/wait.js';

/** `npm ci`, the build and the first start run on a shared machine: minutes, not seconds. */
const slow = { timeoutMs: 180_000, everyMs: 200 };

// The README's quick start, run as written: every command of its shell blocks, in order, in a shell. Only
// what cannot be literal here changes: the ports (free ones, as tests run side by side), ./data (a temporary
// directory, in the commands and as SALVE_DATA_DIR) and the token (the one salve printed). `npm ci` is what CI itself has just run; `npm test` is
// this very suite.

type Step = { command: string; background: boolean };

/** The commands of the Quick start section's ```sh blocks, continuation lines joined. */
function quickStartCommands(readme: string): string[] {
  const section = readme.slice(
    readme.indexOf('## Quick start'),
    readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1),
  );
  const commands: string[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    let pending = '';
    for (const line of block[1]!.split('\n')) {
      if (pending === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
      pending += line.endsWith('\\') ? `${line.slice(0, -1)} ` : line;
      if (!line.endsWith('\\')) {
        commands.push(pending.trim());
        pending = '';
      }
    }
  }
  return commands;
}

const children: ChildProcess[] = [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-readme-'));

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The whole group: npm and the node process it started.
  process.kill(-child.pid!, 'SIGINT');
  return exited;
}

afterAll(async () => {
  for (const child of children) await stop(child);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the README quick start', () => {
  it('works as written: serve, fire, escalate without a cluster; with the simulator, restart and resolve', async () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const appPort = await freePort();
    const simPort = await freePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      SALVE_LISTEN: `127.0.0.1:${appPort}`,
      // The README's ./data, which the commands name and `npm start` uses by default.
      SALVE_DATA_DIR: path.join(dir, 'data'),
    };
    const literal = (command: string) =>
      command
        .replaceAll('9095', String(appPort))
        .replaceAll('6443', String(simPort))
        .replaceAll('./data', path.join(dir, 'data'));
    const steps: Step[] = quickStartCommands(readme).map((command) => ({
      command: literal(command),
      background: /\bnpm start$|npm run kube-sim\b/.test(command),
    }));
    expect(steps.map((s) => s.command)).toContain('npm ci && npm start');

    let salve: ChildProcess | undefined;
    let salveOutput = '';
    let simOutput = '';
    const outputs: string[] = [];
    for (const step of steps) {
      let command = step.command;
      if (command === 'npm test') continue;
      if (command.startsWith('npm ci && ')) command = command.slice('npm ci && '.length);
      if (command.startsWith('kubectl ') && !hasKubectl) continue;
      if (step.background) {
        const isSalve = command.endsWith('npm start');
        if (isSalve && salve) await stop(salve);
        const child = spawn('bash', ['-c', command], { cwd: repoRoot, env, detached: true });
        children.push(child);
        child.stdout?.on('data', (d) => {
          if (isSalve) salveOutput += String(d);
          else simOutput += String(d);
        });
        child.stderr?.on('data', (d) => {
          if (isSalve) salveOutput += String(d);
          else simOutput += String(d);
        });
        if (isSalve) {
          salve = child;
          await until(
            `salve to serve (${command})`,
            async () => {
              if (child.exitCode !== null) throw new GiveUp(`salve exited:\n${salveOutput}`);
              return fetch(`http://127.0.0.1:${appPort}/healthz`).then(
                (r) => r.ok,
                () => false,
              );
            },
            slow,
          );
        } else {
          await until('the simulator to write its kubeconfig', () => simOutput.includes('kubeconfig:'), slow);
        }
        continue;
      }
      const token = /^\s+(salve_\S+)$/m.exec(salveOutput)?.[1];
      if (command.startsWith('export SALVE_TOKEN=')) {
        expect(token, `salve printed a token on first start:\n${salveOutput}`).toBeDefined();
        env.SALVE_TOKEN = token!;
        continue;
      }
      const runCommand = () => {
        const run = spawnSync('bash', ['-c', command], {
          cwd: repoRoot,
          env,
          encoding: 'utf8',
          timeout: 120_000,
        });
        expect(run.status, `${command}\n${run.stdout}${run.stderr}`).toBe(0);
        return run.stdout;
      };
      if (/rollout history/.test(command)) {
        // The heal acts moments after the delivery is acknowledged; a reader who looks too early looks again.
        let shown = '';
        await until(
          'the rollout history to show the restart (revision 3)',
          () => {
            shown = runCommand();
            return /^3\s/m.test(shown);
          },
          { timeoutMs: 60_000, everyMs: 500 },
        );
        outputs.push(shown);
        continue;
      }
      outputs.push(runCommand());
    }

    // What the README says each command shows.
    const fired = outputs.filter((o) => o.includes('sent model-error-rate-firing.json'));
    expect(fired).toHaveLength(2);
    for (const out of fired)
      expect(out).toMatch(/1 new, 0 deduplicated\nopened heal heal_\w+: scorer-error-rate/);
    expect(outputs.some((o) => o.includes('{"ok":true'))).toBe(true);
    if (hasKubectl) expect(outputs.some((o) => /^3\s/m.test(o))).toBe(true);
    // The last heal closes as resolved once the resolved alert arrives (the rollout is verified first).
    const heals = async () => {
      const res = await fetch(`http://127.0.0.1:${appPort}/v1/heals`, {
        headers: { authorization: `Bearer ${env.SALVE_TOKEN}` },
      });
      return ((await res.json()) as { heals: Array<{ state: string }> }).heals;
    };
    await until('the heal to resolve', async () => (await heals())[0]?.state === 'resolved', {
      timeoutMs: 60_000,
      everyMs: 200,
    });
    expect((await heals()).map((h) => h.state)).toEqual(['resolved', 'escalated']);
  }, 420_000);
});
