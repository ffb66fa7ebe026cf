import { describe, expect, it } from 'vitest';
import { servingPolicy } from '../support/build-test-app.js';
import { payload } from '../support/fixtures.js';
import { browserSuite } from './support/browser-suite.js';
import { hasChromium, warnIfNoChromium } from './support/chromium.js';
import { approvalPolicy, signIn, testTokens } from './support/console-harness.js';

warnIfNoChromium('test/browser/console-heals.test.ts');

const scorer = (deployment: string) => ({
  alertname: 'ModelServingErrorRate',
  severity: 'critical',
  namespace: 'ml-prod',
  deployment,
});

describe.skipIf(!hasChromium())(
  'operator console: signing in and watching heals',
  { timeout: 90_000 },
  () => {
    const suite = browserSuite();

    it('signs in with a token, lists heals, and shows a new heal without a reload', async () => {
      const h = await suite.salve({ policies: { 'p.yaml': approvalPolicy(servingPolicy) } });
      const { page } = await suite.page();
      await signIn(page, h.url, testTokens.operator);
      await page.getByRole('heading', { name: 'Open (0)' }).waitFor();
      await page.getByText('Signed in as operator').waitFor();

      const { opened } = await h.fire('fraud-scorer');
      // No reload: the list follows the store.
      const row = page.getByRole('link', { name: /^Deployment\/ml-prod\/fraud-scorer, scorer-error-rate/ });
      await row.waitFor();
      await page.getByRole('heading', { name: 'Open (1)' }).waitFor();
      // The engine (running on its own) moves it on; the row follows.
      await page.getByRole('link', { name: /fraud-scorer, scorer-error-rate, awaiting approval/ }).waitFor();

      await row.click();
      await page.getByRole('heading', { level: 1, name: /Deployment\/ml-prod\/fraud-scorer/ }).waitFor();
      expect(page.url()).toContain(`#/heals/${opened[0]}`);
      expect(page.url()).not.toContain(testTokens.operator);
    });

    it('the detail shows target, policy, state, steps, the attached alerts and the whole timeline', async () => {
      const h = await suite.salve({ policies: { 'p.yaml': approvalPolicy(servingPolicy) } });
      const res = await h.deliver(
        payload([
          {
            labels: { ...scorer('fraud-scorer'), pod: 'fraud-scorer-7d9f' },
            annotations: {
              summary: 'error rate 12% over 5m',
              runbook_url: 'https://runbooks.example/scorer',
            },
            startsAt: '2026-11-27T02:59:00.000Z',
          },
        ]),
      );
      const id = res.json().heals.opened[0].id as string;
      const { page } = await suite.page();
      await signIn(page, h.url, testTokens.viewer);
      await page.getByRole('link', { name: /fraud-scorer, scorer-error-rate, awaiting approval/ }).click();
      await page.getByRole('heading', { name: 'Timeline' }).waitFor();

      const summary = page.locator('dl.summary');
      await expect.poll(() => summary.innerText()).toMatch(/Target\s+Deployment\/ml-prod\/fraud-scorer/);
      expect(await summary.innerText()).toMatch(/Policy\s+scorer-error-rate/);
      expect(await summary.innerText()).toMatch(/State\s+awaiting approval/);
      expect(await summary.innerText()).toMatch(/Current step\s+k8s\.restart/);
      const steps = page.locator('ol.steps > li');
      expect(await steps.count()).toBe(2);
      expect(await steps.nth(0).getAttribute('aria-current')).toBe('step');

      const alert = page.locator('ul.alerts > li');
      expect(await alert.count()).toBe(1);
      const alertText = await alert.innerText();
      expect(alertText).toContain('ModelServingErrorRate');
      expect(alertText).toMatch(/pod\s+fraud-scorer-7d9f/);
      expect(alertText).toMatch(/summary\s+error rate 12% over 5m/);
      const source = page.getByRole('link', { name: 'Source of ModelServingErrorRate' });
      expect(await source.getAttribute('href')).toBe('http://prometheus.example:9090/graph');
      expect(await source.getAttribute('rel')).toBe('noopener noreferrer');

      // Every audit record of the heal, guard decisions with their reasons.
      const records = (await h.timeline(id)).length;
      const timeline = page.locator('ol.timeline > li');
      expect(await timeline.count()).toBe(records);
      const text = await page.locator('ol.timeline').innerText();
      expect(text).toMatch(/guard passed[\s\S]*guard\s+cooldown[\s\S]*detail\s+no earlier action/);
      expect(text).toMatch(
        /approval requested[\s\S]*policy scorer-error-rate requires an operator's approval/,
      );
    });

    it('filters by state, policy and target, keeping the filter in the address', async () => {
      const h = await suite.salve({ deployments: ['fraud-scorer', 'ranker'] });
      await h.fire('fraud-scorer');
      await h.fire('ranker');
      const { page } = await suite.page();
      await signIn(page, h.url, testTokens.viewer);
      await page.getByRole('link', { name: /^Deployment\/ml-prod\/ranker/ }).waitFor();
      await page.getByLabel('Target').fill('Deployment/ml-prod/ranker');
      await page.getByLabel('State').selectOption('any');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByRole('heading', { name: 'Matching heals' }).waitFor();
      expect(decodeURIComponent(new URL(page.url()).hash)).toBe(
        '#/heals?state=any&target=Deployment/ml-prod/ranker',
      );
      await expect.poll(() => page.locator('table.rows tbody tr').count(), { timeout: 10_000 }).toBe(1);
      expect(await page.getByRole('link', { name: /fraud-scorer/ }).count()).toBe(0);
      await page.getByRole('link', { name: 'Clear' }).click();
      await page.getByRole('link', { name: /^Deployment\/ml-prod\/fraud-scorer/ }).waitFor();
    });

    it('refuses a wrong token and a token without the viewer scope, and keeps neither', async () => {
      const h = await suite.salve();
      const { page } = await suite.page();
      await page.goto(h.url);
      await page.getByLabel('Token').fill('not-a-salve-token-0123456789');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'salve did not recognise this token.' }).waitFor();
      await page.getByLabel('Token').fill(testTokens.alertmanager);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: /lacks the "viewer" scope/ })
        .waitFor();
      expect(await page.getByRole('heading', { name: 'Heals' }).count()).toBe(0);
      expect(await page.evaluate(() => sessionStorage.length + localStorage.length)).toBe(0);
    });

    it('keeps the token for this tab only: never in the address, local storage or a cookie', async () => {
      const h = await suite.salve();
      const w = await suite.page();
      const { page } = w;
      await signIn(page, h.url, testTokens.operator);
      expect(page.url()).not.toContain(testTokens.operator);
      expect(await page.evaluate(() => sessionStorage.getItem('salve.token'))).toBe(testTokens.operator);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      expect(await w.context.cookies()).toEqual([]);
      // A reload of the tab keeps it.
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Heals' }).waitFor();
      // Another tab does not have it.
      const other = await w.context.newPage();
      await other.goto(h.url);
      await other.getByLabel('Token').waitFor();
      await other.close();
      // Signing out forgets it.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Token').waitFor();
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    });

    it('sends the operator back to sign in, saying why, when salve stops accepting the token', async () => {
      const h = await suite.salve();
      const { page } = await suite.page();
      await signIn(page, h.url, testTokens.operator);
      // The token is revoked while the page is open: from now on salve refuses what the tab sends.
      await page.route('**/v1/**', (route) =>
        route.continue({
          headers: { ...route.request().headers(), authorization: 'Bearer revoked-token-0123456789' },
        }),
      );
      await page.getByText('salve refused the token (token not recognised). Sign in again.').waitFor();
      await page.getByLabel('Token').waitFor();
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      await page.unroute('**/v1/**');

      // A tab reloaded with a token salve no longer knows starts at sign-in too.
      await page.evaluate(() => sessionStorage.setItem('salve.token', 'revoked-token-0123456789'));
      await page.reload();
      await page.getByText('salve no longer accepts this token.').waitFor();
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    });
  },
);
