import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { servingPolicy } from '../support/build-test-app.js';
import {
  hasChromium,
  launchChromium,
  openPage,
  type WatchedPage,
  warnIfNoChromium,
} from './support/chromium.js';
import {
  approvalPolicy,
  buildTestConsole,
  type ConsoleHarness,
  signIn,
  startConsole,
  testTokens,
} from './support/console-harness.js';

warnIfNoChromium('test/browser/console-heals.test.ts');

describe.skipIf(!hasChromium())('operator console: signing in and watching heals', () => {
  let browser: Browser;
  let consoleDir: string;
  let h: ConsoleHarness | undefined;
  let w: WatchedPage | undefined;

  beforeAll(async () => {
    [browser, consoleDir] = await Promise.all([launchChromium(), buildTestConsole()]);
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    if (w) {
      expect(w.errors, 'uncaught errors in the page').toEqual([]);
      expect(w.violations, 'CSP or Trusted Types violations').toEqual([]);
      expect(w.dialogs, 'script dialogs').toEqual([]);
      await w.context.close();
    }
    w = undefined;
    await h?.close();
    h = undefined;
  });

  it('signs in with a token, lists heals, and shows a new heal without a reload', async () => {
    h = await startConsole({ consoleDir, policies: { 'p.yaml': approvalPolicy(servingPolicy) } });
    w = await openPage(browser);
    const { page } = w;
    await signIn(page, h.url, testTokens.operator);
    await expect.poll(() => page.getByRole('heading', { name: 'Open (0)' }).count()).toBe(1);
    await expect.poll(() => page.getByText('Signed in as operator').count()).toBe(1);

    const { opened } = await h.fire('fraud-scorer');
    // No reload: the list polls.
    const row = page.getByRole('link', { name: /^Deployment\/ml-prod\/fraud-scorer, scorer-error-rate/ });
    await row.waitFor();
    await expect.poll(() => page.getByRole('heading', { name: 'Open (1)' }).count()).toBe(1);
    await expect.poll(() => row.getAttribute('aria-label')).toMatch(/awaiting approval/);

    await row.click();
    await page.getByRole('heading', { level: 1, name: /Deployment\/ml-prod\/fraud-scorer/ }).waitFor();
    expect(page.url()).toContain(`#/heals/${opened[0]}`);
    expect(page.url()).not.toContain(testTokens.operator);
  });
});
