import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { servingPolicy } from '../support/build-test-app.js';
import { payload } from '../support/fixtures.js';
import { browserSuite } from './support/browser-suite.js';
import { desktop, hasChromium, phone, warnIfNoChromium } from './support/chromium.js';
import { approvalPolicy, type ConsoleHarness, signIn, testTokens } from './support/console-harness.js';

warnIfNoChromium('test/browser/console-layout.test.ts');

/** Each view, and what shows it has loaded. */
const views = [
  { hash: '#/heals', ready: 'Open (1)' },
  { hash: 'detail', ready: 'Timeline' },
  { hash: '#/pause', ready: 'salve is acting' },
  { hash: '#/audit', ready: 'Latest records' },
  { hash: '#/policies', ready: 'Table in force' },
] as const;

async function withOneHeal(h: ConsoleHarness): Promise<string> {
  const res = await h.deliver(
    payload([
      {
        labels: {
          alertname: 'ModelServingErrorRate',
          severity: 'critical',
          namespace: 'ml-prod',
          deployment: 'fraud-scorer',
          pod: 'fraud-scorer-7d9f8c6b5-x2x4q',
        },
        annotations: {
          summary: 'Error rate of fraud-scorer above 5% for 10 minutes; see the dashboard for the breakdown',
          dashboard:
            'https://grafana.example/d/serving/model-serving-overview?var-deployment=fraud-scorer&orgId=1',
        },
      },
    ]),
  );
  return res.json().heals.opened[0].id;
}

async function visit(page: Page, h: ConsoleHarness, id: string, view: (typeof views)[number]) {
  await page.goto(`${h.url}${view.hash === 'detail' ? `#/heals/${id}` : view.hash}`);
  await page.getByRole('heading', { name: view.ready }).waitFor();
}

/** WCAG contrast of an element's text against the nearest opaque background behind it. */
function contrasts(page: Page, selector: string) {
  return page.evaluate((sel) => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const background = (el: Element | null): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3]! > 0.9)) return c.slice(0, 3);
      }
      return rgb(getComputedStyle(document.body).backgroundColor).slice(0, 3);
    };
    return [...document.querySelectorAll(sel)]
      .filter((el) => (el as HTMLElement).offsetParent !== null && !(el as HTMLButtonElement).disabled)
      .map((el) => {
        const a = lum(rgb(getComputedStyle(el).color));
        const b = lum(background(el));
        return {
          what: `${el.tagName.toLowerCase()}.${el.className}: ${el.textContent?.slice(0, 30)}`,
          ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
        };
      });
  }, selector);
}

describe.skipIf(!hasChromium())('operator console: readable everywhere', { timeout: 120_000 }, () => {
  const suite = browserSuite();

  for (const viewport of [desktop, phone]) {
    it(`fits ${viewport.width} px wide without sideways scrolling, every view`, async () => {
      const h = await suite.salve();
      const id = await withOneHeal(h);
      const { page } = await suite.page({ viewport });
      await signIn(page, h.url, testTokens.viewer);
      for (const view of views) {
        await visit(page, h, id, view);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(width, view.hash).toBeLessThanOrEqual(viewport.width);
        // The sections stay reachable.
        const nav = page.getByRole('navigation', { name: 'Sections' });
        for (const name of ['Heals', 'Pause', 'Audit', 'Policies']) {
          expect(await nav.getByRole('link', { name, exact: true }).isVisible(), name).toBe(true);
        }
      }
      if (viewport === phone) {
        // Table rows become labelled cards: each value says what it is.
        await visit(page, h, id, views[0]);
        const label = await page
          .locator('table.rows td')
          .first()
          .evaluate((td) => getComputedStyle(td, '::before').content);
        expect(label).toBe('"Target"');
      }
    });
  }

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`follows the ${colorScheme} colour scheme with readable contrast`, async () => {
      const h = await suite.salve({ policies: { 'p.yaml': approvalPolicy(servingPolicy) } });
      const id = await withOneHeal(h);
      const { page } = await suite.page({ colorScheme });
      await signIn(page, h.url, testTokens.operator);
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number);
      const brightness = (r! + g! + b!) / 3;
      if (colorScheme === 'dark') expect(brightness).toBeLessThan(60);
      else expect(brightness).toBeGreaterThan(200);
      for (const view of views) {
        await visit(page, h, id, view);
        const low = (
          await contrasts(page, 'main :is(p, dt, dd, td, th, a, button, code, h1, h2, .badge, summary)')
        ).filter((c) => c.ratio < 4.5);
        expect(low, `${colorScheme} ${view.hash}`).toEqual([]);
      }
    });
  }

  it('works from the keyboard: skip to content, sections, a heal, back; focus lands on each heading', async () => {
    const h = await suite.salve();
    await withOneHeal(h);
    const { page } = await suite.page();
    await signIn(page, h.url, testTokens.viewer);
    await page.getByRole('heading', { name: 'Open (1)' }).waitFor();
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        return el ? `${el.tagName.toLowerCase()}:${el.textContent?.trim().slice(0, 40)}` : '';
      });
    // A new view puts focus on its heading.
    expect(await focused()).toBe('h1:Heals');
    // Backwards through the header: sign out, the sections, the brand, and first of all the skip button.
    const seen: string[] = [];
    for (let i = 0; i < 12 && seen.at(-1) !== 'button:Skip to content'; i++) {
      await page.keyboard.press('Shift+Tab');
      seen.push(await focused());
    }
    expect(seen).toEqual([
      'button:Sign out',
      'a:Replay',
      'a:Effectiveness',
      'a:Policies',
      'a:Audit',
      'a:Pause',
      'a:Heals',
      'a:salve',
      'button:Skip to content',
    ]);
    await page.keyboard.press('Enter');
    expect(await focused()).toBe('h1:Heals');

    // Back to the Audit link, open it.
    for (let i = 0; i < 10 && (await focused()) !== 'a:Audit'; i++) await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('a:Audit');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Latest records' }).waitFor();
    expect(await focused()).toBe('h1:Audit');

    // Back, then into the heal with Tab and Enter.
    await page.goBack();
    await page.getByRole('heading', { name: 'Open (1)' }).waitFor();
    for (let i = 0; i < 30 && !(await focused()).startsWith('a:Deployment/'); i++)
      await page.keyboard.press('Tab');
    expect(await focused()).toBe('a:Deployment/ml-prod/fraud-scorer');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    expect(await focused()).toMatch(/^h1:Deployment\/ml-prod\/fraud-scorer/);
  });

  it('gives every button and link an accessible name, and every field a label', async () => {
    const h = await suite.salve({ policies: { 'p.yaml': approvalPolicy(servingPolicy) } });
    const id = await withOneHeal(h);
    const { page } = await suite.page();
    await signIn(page, h.url, testTokens.operator);
    for (const view of views) {
      await visit(page, h, id, view);
      const unnamed = await page.evaluate(() =>
        [...document.querySelectorAll('a, button, input, select, textarea')]
          .filter((el) => {
            const label =
              el.getAttribute('aria-label') ??
              (el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null) ??
              el.textContent;
            return !label?.trim();
          })
          .map((el) => el.outerHTML.slice(0, 80)),
      );
      expect(unnamed, view.hash).toEqual([]);
      // Buttons are buttons, links go somewhere.
      expect(await page.locator('a:not([href])').count()).toBe(0);
      expect(await page.locator('[onclick], div[tabindex], span[tabindex]').count()).toBe(0);
    }
  });
});
