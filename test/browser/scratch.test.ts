import { it } from 'vitest';
import { servingPolicy } from '../support/build-test-app.js';
import { payload } from '../support/fixtures.js';
import { launchChromium, openPage, phone } from './support/chromium.js';
import {
  approvalPolicy,
  buildTestConsole,
  signIn,
  startConsole,
  testTokens,
} from './support/console-harness.js';

it('scratch', async () => {
  const browser = await launchChromium();
  const consoleDir = await buildTestConsole();
  const h = await startConsole({
    consoleDir,
    policies: { 'p.yaml': approvalPolicy(servingPolicy) },
    deployments: ['fraud-scorer', 'ranker'],
  });
  await h.deliver(
    payload([
      {
        labels: {
          alertname: 'ModelServingErrorRate',
          severity: 'critical',
          namespace: 'ml-prod',
          deployment: 'fraud-scorer',
          pod: 'fraud-scorer-7d9f',
        },
        annotations: {
          summary: '<img src=x onerror=alert(1)> error rate 12%',
          runbook_url: 'https://runbooks.example/scorer',
        },
        startsAt: '2026-11-27T02:59:00.000Z',
      },
    ]),
  );
  await h.fire('ranker');
  for (const scheme of ['light', 'dark'] as const) {
    const w = await openPage(browser, { colorScheme: scheme });
    await signIn(w.page, h.url, testTokens.operator);
    await w.page.getByRole('heading', { name: 'Open (2)' }).waitFor();
    await w.page.screenshot({ path: `/tmp/shots/heals-${scheme}.png`, fullPage: true });
    await w.page.getByRole('link', { name: /fraud-scorer/ }).click();
    await w.page.getByRole('heading', { name: 'Timeline' }).waitFor();
    await w.page.screenshot({ path: `/tmp/shots/detail-${scheme}.png`, fullPage: true });
    await w.context.close();
  }
  const w = await openPage(browser, { viewport: phone });
  await signIn(w.page, h.url, testTokens.viewer);
  await w.page.getByRole('heading', { name: 'Open (2)' }).waitFor();
  await w.page.screenshot({ path: `/tmp/shots/heals-phone.png`, fullPage: true });
  await w.page.getByRole('link', { name: /fraud-scorer/ }).click();
  await w.page.getByRole('heading', { name: 'Timeline' }).waitFor();
  await w.page.screenshot({ path: `/tmp/shots/detail-phone.png`, fullPage: true });
  for (const v of ['pause', 'audit', 'policies']) {
    await w.page.goto(`${h.url}#/${v}`);
    await w.page.waitForTimeout(1500);
    await w.page.screenshot({ path: `/tmp/shots/${v}-phone.png`, fullPage: true });
  }
  const d = await openPage(browser);
  await signIn(d.page, h.url, testTokens.operator);
  for (const v of ['pause', 'audit', 'policies']) {
    await d.page.goto(`${h.url}#/${v}`);
    await d.page.waitForTimeout(1500);
    await d.page.screenshot({ path: `/tmp/shots/${v}.png`, fullPage: true });
  }
  await d.page.goto(h.url);
  await h.close();
  await browser.close();
}, 120_000);
