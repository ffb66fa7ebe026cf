import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servingPolicy } from '../support/build-test-app.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { browserSuite } from './support/browser-suite.js';
import { hasChromium, warnIfNoChromium } from './support/chromium.js';
import { approvalPolicy, signIn, testTokens } from './support/console-harness.js';

warnIfNoChromium('test/browser/console-replicas.test.ts');

describe.skipIf(!hasChromium())(
  'operator console with replicas sharing one PostgreSQL',
  { timeout: 120_000 },
  () => {
    const suite = browserSuite();
    let pg: TestPostgres;
    beforeAll(async () => {
      pg = await startTestPostgres();
    });
    afterAll(async () => {
      await pg?.stop();
    });

    it("shows heals that another replica opens and moves, live, and that replica acts on this page's approval", async () => {
      const url = await pg.createDatabase();
      const policies = { 'p.yaml': approvalPolicy(servingPolicy) };
      // Replica A serves the page and runs no engine; replica B receives the alert and does the work.
      const a = await suite.salve({ policies, env: { SALVE_STORE: url }, engine: false });
      let b: EngineHarness | undefined;
      try {
        b = await startEngineHarness({ policies, env: { SALVE_STORE: url } });
        b.deps.engine.start();
        const { page } = await suite.page();
        await signIn(page, a.url, testTokens.operator);
        await page.getByRole('heading', { name: 'Open (0)' }).waitFor();

        const { opened } = await b.fire('fraud-scorer');
        // Opened by B, moved to awaiting approval by B's engine: A's page sees both.
        const row = page.getByRole('link', { name: /fraud-scorer, scorer-error-rate, awaiting approval/ });
        await row.waitFor();
        await row.click();
        await page.getByRole('button', { name: 'Approve' }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
        await page
          .getByRole('status')
          .filter({ hasText: /^Approved\./ })
          .waitFor();
        // A recorded the approval; B's engine finds it in the store and acts; A's page follows.
        await page.getByRole('heading', { level: 1, name: /verifying/ }).waitFor();
        expect(b.patches()).toHaveLength(1);
        expect(a.sim.mutations()).toHaveLength(0);
        const timeline = await page.locator('ol.timeline').innerText();
        expect(timeline).toMatch(/approval granted[\s\S]*by token:operator[\s\S]*action started/);
        expect((await a.heal(opened[0]!)).approvedBy).toBe('token:operator');
      } finally {
        await b?.close();
      }
    });
  },
);
