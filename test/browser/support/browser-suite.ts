import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { TestAppOptions } from '../../support/build-test-app.js';
import { launchChromium, openPage, quietProblems, type Viewport, type WatchedPage } from './chromium.js';
import { buildTestConsole, type ConsoleHarness, startConsole } from './console-harness.js';

export type BrowserSuite = {
  /** salve with the console, stopped after the test. */
  salve(options?: TestAppOptions & { deployments?: string[]; engine?: boolean }): Promise<ConsoleHarness>;
  /** A fresh browser context (its own storage), closed after the test, checked for problems first. */
  page(options?: { viewport?: Viewport; colorScheme?: 'light' | 'dark' }): Promise<WatchedPage>;
  browser(): Browser;
};

/** One Chromium and one console build per file; salve and pages per test, each checked and closed. */
export function browserSuite(): BrowserSuite {
  let browser: Browser | undefined;
  let consoleDir = '';
  let harnesses: ConsoleHarness[] = [];
  let pages: WatchedPage[] = [];
  beforeAll(async () => {
    [browser, consoleDir] = await Promise.all([launchChromium(), buildTestConsole()]);
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    const problems = pages.flatMap(quietProblems);
    for (const p of pages) await p.context.close();
    for (const h of harnesses) await h.close();
    pages = [];
    harnesses = [];
    expect(problems, 'dialogs, page errors or policy violations').toEqual([]);
  });
  return {
    async salve(options = {}) {
      const h = await startConsole({ ...options, consoleDir });
      harnesses.push(h);
      return h;
    },
    async page(options = {}) {
      const w = await openPage(browser!, options);
      pages.push(w);
      return w;
    },
    browser: () => browser!,
  };
}
