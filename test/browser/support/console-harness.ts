import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { buildConsole, type ConsoleBuild } from '../../../web/build.js';
import type { TestAppOptions } from '../../support/build-test-app.js';
import { testTokens } from '../../support/build-test-app.js';
import { type EngineHarness, startEngineHarness } from '../../support/engine-harness.js';

export { testTokens };

/** The console bundle, built as `npm run build` builds it, into a directory of the test's own. */
export async function buildTestConsole(): Promise<string> {
  return (await buildTestConsoleDetails()).outDir;
}

export function buildTestConsoleDetails(): Promise<ConsoleBuild> {
  return buildConsole(fs.mkdtempSync(path.join(os.tmpdir(), 'salve-console-')));
}

export type ConsoleHarness = EngineHarness & {
  /** http://127.0.0.1:PORT/ — the console. */
  url: string;
};

/**
 * salve as an operator runs it: the real engine (started, driven by its own loop) against the Kubernetes
 * simulator on a fake clock, listening on a free loopback port and serving the built console.
 */
export async function startConsole(
  options: TestAppOptions & {
    deployments?: string[];
    consoleDir: string;
    /** false: this replica only serves; another one's engine does the work. */
    engine?: boolean;
  },
): Promise<ConsoleHarness> {
  const h = await startEngineHarness({
    ...options,
    overrides: { ...options.overrides, consoleDir: options.consoleDir },
  });
  const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
  if (options.engine !== false) h.deps.engine.start();
  return {
    ...h,
    url: `${address}/`,
    async close() {
      await h.close();
    },
  };
}

export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Heals' }).waitFor();
}

/** An approval policy over the harness's serving policy: heals wait for a human. */
export const approvalPolicy = (base: string) =>
  `${base}    guards: { cooldown: 30m, maxPerTarget: "3/1h", approval: true }\n`;
