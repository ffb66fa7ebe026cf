import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { servingPolicy } from '../support/build-test-app.js';
import { payload, repoRoot } from '../support/fixtures.js';
import { browserSuite } from './support/browser-suite.js';
import { desktop, hasChromium, phone, warnIfNoChromium } from './support/chromium.js';
import { approvalPolicy, type ConsoleHarness, signIn, testTokens } from './support/console-harness.js';

warnIfNoChromium('test/browser/console-screenshots.test.ts');

/** Committed beside the README, which shows them. */
export const screenshotDir = path.join(repoRoot, 'docs', 'console');

const MIN = 60_000;
const deployments = ['fraud-scorer', 'ranker', 'churn-model', 'recommender'];

function alert(deployment: string, summary: string, status: 'firing' | 'resolved' = 'firing') {
  return payload([
    {
      status,
      labels: {
        alertname: 'ModelServingErrorRate',
        severity: 'critical',
        namespace: 'ml-prod',
        deployment,
        pod: `${deployment}-7d9f8c6b5-x2x4q`,
      },
      annotations: {
        summary,
        runbook_url: `https://runbooks.example/ml-serving/${deployment}`,
      },
      startsAt: '2026-11-27T02:58:00.000Z',
    },
  ]);
}

/**
 * A night of work on a fake clock, driven step by step (no engine loop of its own), so every time and every
 * record is the same on each run: one heal resolved after approval, one rejected, one verifying, one waiting.
 */
async function scenario(h: ConsoleHarness): Promise<Record<string, string>> {
  const open = async (deployment: string, summary: string) => {
    const res = await h.deliver(alert(deployment, summary));
    await h.run();
    return res.json().heals.opened[0].id as string;
  };
  const decide = async (id: string, decision: 'approve' | 'reject', comment: string) => {
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/heals/${id}/${decision}`,
      headers: h.auth('operator'),
      payload: { comment },
    });
    expect(res.statusCode).toBe(200);
    await h.run();
  };
  const ids: Record<string, string> = {};
  ids.fraud = await open('fraud-scorer', 'fraud-scorer answers 7.2% of requests with errors');
  await decide(ids.fraud, 'approve', 'error budget burning; restart it');
  await h.advance(MIN);
  await h.deliver(alert('fraud-scorer', 'fraud-scorer answers 7.2% of requests with errors', 'resolved'));
  await h.advance(MIN);
  ids.ranker = await open('ranker', 'ranker answers 3.1% of requests with errors');
  await decide(ids.ranker, 'reject', 'ranker is being migrated; leave it');
  await h.advance(4 * MIN);
  ids.recommender = await open('recommender', 'recommender answers 5.5% of requests with errors');
  await decide(ids.recommender, 'approve', 'go');
  await h.advance(MIN);
  ids.churn = await open('churn-model', 'churn-model answers 12.4% of requests with errors');
  return ids;
}

/**
 * Ids carry randomness and paths the temporary directory: replaced, in the page's text, by fixed stand-ins,
 * so the images change only when the console does.
 */
async function steady(page: Page, replacements: Array<[string, string]>): Promise<void> {
  await page.evaluate((pairs) => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      let text = node.nodeValue ?? '';
      for (const [from, to] of pairs) text = text.split(from).join(to);
      if (text !== node.nodeValue) node.nodeValue = text;
    }
  }, replacements);
}

/** Writes the image only when its bytes changed: a re-run leaves the work tree clean. */
function save(name: string, png: Buffer): void {
  const file = path.join(screenshotDir, name);
  if (fs.existsSync(file) && fs.readFileSync(file).equals(png)) return;
  fs.mkdirSync(screenshotDir, { recursive: true });
  fs.writeFileSync(file, png);
}

describe.skipIf(!hasChromium())('operator console screenshots (docs/console)', { timeout: 120_000 }, () => {
  const suite = browserSuite();

  it('regenerates the images the README shows, the same on every run', async () => {
    const h = await suite.salve({
      policies: { 'serving.yaml': approvalPolicy(servingPolicy) },
      deployments,
      engine: false,
    });
    const ids = await scenario(h);
    const verify = (await h.app.inject({ url: '/v1/audit/verify', headers: h.auth('viewer') })).json();
    const replacements: Array<[string, string]> = [
      [h.dir, '/var/lib/salve'],
      // The chain's head (the page shows its first 16 characters).
      [verify.head.slice(0, 16), 'a3f1c09e5b7d2e4f'],
      ...Object.values(ids).map((id, i): [string, string] => [id, `${id.slice(0, 15)}${'x4b7q2m9c3n8'}${i}`]),
    ];

    const shots: Array<{
      name: string;
      hash: string;
      ready: string;
      viewport?: typeof desktop;
      colorScheme?: 'dark';
      token?: string;
    }> = [
      { name: 'heals.png', hash: '#/heals', ready: 'Open (2)' },
      { name: 'heal-detail.png', hash: `#/heals/${ids.churn}`, ready: 'Timeline' },
      { name: 'audit.png', hash: '#/audit', ready: 'Latest records' },
      { name: 'policies.png', hash: '#/policies', ready: 'Table in force' },
      { name: 'pause.png', hash: '#/pause', ready: 'salve is acting' },
      { name: 'phone.png', hash: '#/heals', ready: 'Open (2)', viewport: phone },
      { name: 'dark.png', hash: `#/heals/${ids.fraud}`, ready: 'Timeline', colorScheme: 'dark' },
      { name: 'viewer.png', hash: `#/heals/${ids.churn}`, ready: 'Timeline', token: testTokens.viewer },
    ];
    for (const shot of shots) {
      const { page } = await suite.page({
        viewport: shot.viewport ?? desktop,
        colorScheme: shot.colorScheme,
      });
      await signIn(page, h.url, shot.token ?? testTokens.operator);
      await page.goto(`${h.url}${shot.hash}`);
      await page.getByRole('heading', { name: shot.ready }).waitFor();
      if (shot.hash === '#/audit') await page.getByText(/^Intact: all \d+ records/).waitFor();
      await steady(page, replacements);
      const take = () => page.screenshot({ animations: 'disabled', caret: 'hide' });
      const first = await take();
      // Twice, a poll apart: what is saved does not depend on the moment it was taken.
      await page.waitForResponse((r) => r.url().includes('/v1/'));
      await steady(page, replacements);
      const second = await take();
      expect(second.equals(first), `${shot.name} is stable`).toBe(true);
      save(shot.name, first);
    }
    expect(fs.readdirSync(screenshotDir).sort()).toEqual(shots.map((s) => s.name).sort());
  });
});
