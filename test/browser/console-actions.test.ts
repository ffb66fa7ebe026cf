import { describe, expect, it } from 'vitest';
import { servingPolicy } from '../support/build-test-app.js';
import { browserSuite } from './support/browser-suite.js';
import { hasChromium, warnIfNoChromium } from './support/chromium.js';
import { approvalPolicy, signIn, testTokens } from './support/console-harness.js';

warnIfNoChromium('test/browser/console-actions.test.ts');

const policies = { 'p.yaml': approvalPolicy(servingPolicy) };

describe.skipIf(!hasChromium())(
  'operator console: approving, rejecting, pausing',
  { timeout: 90_000 },
  () => {
    const suite = browserSuite();

    it('approves a waiting heal after a confirmation, shows the result, and the engine acts', async () => {
      const h = await suite.salve({ policies });
      const id = (await h.fire('fraud-scorer')).opened[0]!;
      const { page } = await suite.page();
      await signIn(page, h.url, testTokens.operator);
      await page.getByRole('link', { name: /fraud-scorer, scorer-error-rate, awaiting approval/ }).click();
      await page.getByRole('button', { name: 'Approve' }).click();

      const dialog = page.getByRole('dialog', { name: 'Approve this heal?' });
      await dialog.waitFor();
      expect(await dialog.innerText()).toContain(
        'salve will run scorer-error-rate on Deployment/ml-prod/fraud-scorer',
      );
      await dialog.getByLabel(/Comment/).fill('error budget burning, go');
      await dialog.getByRole('button', { name: 'Approve' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page
        .getByRole('status')
        .filter({ hasText: /^Approved\. The heal is/ })
        .waitFor();

      // The engine picks the approval up; the page follows it to the action and its verification.
      await page.getByRole('heading', { level: 1, name: /verifying/ }).waitFor();
      expect(h.patches()).toHaveLength(1);
      await page.locator('ol.timeline').getByText('approval granted').waitFor();
      expect(await page.locator('ol.timeline').innerText()).toMatch(
        /approval granted[\s\S]*by token:operator/,
      );
      const granted = (await h.timeline(id)).find((r) => r.type === 'approval.granted');
      expect(granted).toMatchObject({
        actor: 'token:operator',
        data: { comment: 'error budget burning, go' },
      });
      expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    });

    it('rejects with the keyboard alone; Escape cancels the confirmation and changes nothing', async () => {
      const h = await suite.salve({ policies });
      const id = (await h.fire('fraud-scorer')).opened[0]!;
      const { page } = await suite.page();
      await signIn(page, h.url, testTokens.operator);
      const link = page.getByRole('link', { name: /fraud-scorer, scorer-error-rate, awaiting approval/ });
      await link.waitFor();
      await link.focus();
      await page.keyboard.press('Enter');
      const reject = page.getByRole('button', { name: 'Reject' });
      await reject.waitFor();
      // Tab from the top of the page until the Reject button has focus.
      await page.locator('main h1').focus();
      for (let i = 0; i < 20 && !(await reject.evaluate((el) => el === document.activeElement)); i++) {
        await page.keyboard.press('Tab');
      }
      expect(await reject.evaluate((el) => el === document.activeElement)).toBe(true);

      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Reject this heal?' });
      await dialog.waitFor();
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      expect((await h.heal(id)).state).toBe('awaiting_approval');

      await reject.focus();
      await page.keyboard.press('Enter');
      await dialog.waitFor();
      await page.keyboard.type('wrong target');
      await dialog.getByRole('button', { name: 'Reject' }).focus();
      await page.keyboard.press('Enter');
      await page
        .getByRole('status')
        .filter({ hasText: 'Rejected. The heal is cancelled; nothing will be acted on.' })
        .waitFor();
      await page.getByRole('heading', { level: 1, name: /cancelled/ }).waitFor();
      expect(await h.heal(id)).toMatchObject({ state: 'cancelled', reason: 'rejected' });
      expect(h.sim.mutations()).toHaveLength(0);
    });

    it('shows why an approval could not be made (another operator decided first)', async () => {
      const h = await suite.salve({ policies });
      const id = (await h.fire('fraud-scorer')).opened[0]!;
      const { page } = await suite.page();
      await signIn(page, h.url, testTokens.operator);
      await page.getByRole('link', { name: /fraud-scorer, scorer-error-rate, awaiting approval/ }).click();
      await page.getByRole('button', { name: 'Approve' }).click();
      const dialog = page.getByRole('dialog', { name: 'Approve this heal?' });
      await dialog.waitFor();
      // Meanwhile, someone else rejects it.
      const other = await h.app.inject({
        method: 'POST',
        url: `/v1/heals/${id}/reject`,
        headers: h.auth('operator'),
      });
      expect(other.statusCode).toBe(200);
      await dialog.getByRole('button', { name: 'Approve' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: /^Could not approve the heal: / })
        .waitFor();
      await page.getByRole('heading', { level: 1, name: /cancelled/ }).waitFor();
    });

    it('pauses and resumes with a reason; every view says salve is paused', async () => {
      const h = await suite.salve();
      const { page } = await suite.page();
      await signIn(page, h.url, testTokens.operator);
      await page.getByRole('link', { name: 'Pause', exact: true }).click();
      await page.getByRole('heading', { name: 'salve is acting' }).waitFor();
      await page.getByRole('button', { name: 'Pause salve' }).click();
      await page.getByText('Say why: the reason is kept in the audit log.').waitFor();
      await page.getByLabel('Reason').fill('database failover in progress');
      await page.getByRole('button', { name: 'Pause salve' }).click();
      await page.getByRole('heading', { name: 'salve is paused' }).waitFor();
      await page.getByText('Paused by token:operator: nothing will be acted on.').waitFor();
      expect(await page.locator('dl.summary').innerText()).toMatch(
        /Paused by\s+token:operator[\s\S]*Why\s+database failover in progress/,
      );

      // Paused, an alert is still recorded and its heal is held.
      await h.fire('fraud-scorer');
      await page.getByRole('link', { name: 'Heals', exact: true }).click();
      await page
        .getByRole('status')
        .filter({ hasText: /salve is paused by token:operator since .*: database failover in progress/ })
        .waitFor();
      await page.getByRole('link', { name: /fraud-scorer, scorer-error-rate, pending/ }).waitFor();
      expect(h.sim.mutations()).toHaveLength(0);

      await page.getByRole('link', { name: 'Pause controls' }).click();
      await page.getByLabel('Reason').fill('failover done');
      await page.getByRole('button', { name: 'Resume salve' }).click();
      await page.getByRole('heading', { name: 'salve is acting' }).waitFor();
      const records = await h.deps.store.queryAudit({ type: 'pause.cleared', limit: 10 });
      expect(records).toMatchObject([{ actor: 'token:operator', data: { reason: 'failover done' } }]);
      // Resumed, the held heal acts when it is next due (its hold is re-checked each poll of the fake clock).
      await h.clock.advance(60_000);
      await page.getByRole('link', { name: 'Heals', exact: true }).click();
      await page.getByRole('link', { name: /fraud-scorer, scorer-error-rate, verifying/ }).waitFor();
    });

    it('a viewer sees everything and can change nothing, and is told why', async () => {
      const h = await suite.salve({ policies });
      const id = (await h.fire('fraud-scorer')).opened[0]!;
      const { page } = await suite.page();
      await signIn(page, h.url, testTokens.viewer);
      await page.getByRole('link', { name: /fraud-scorer, scorer-error-rate, awaiting approval/ }).click();
      for (const name of ['Approve', 'Reject']) {
        const button = page.getByRole('button', { name });
        expect(await button.isDisabled()).toBe(true);
        expect(await button.getAttribute('aria-describedby')).toBe('approval-hint');
      }
      expect(await page.locator('#approval-hint').innerText()).toBe(
        'Approving or rejecting needs the operator scope; this token can only view.',
      );

      await page.getByRole('link', { name: 'Pause', exact: true }).click();
      await page.getByRole('heading', { name: 'salve is acting' }).waitFor();
      expect(await page.getByRole('button', { name: 'Pause salve' }).isDisabled()).toBe(true);
      expect(await page.getByLabel('Reason').isDisabled()).toBe(true);
      await page.getByText('Pausing needs the operator scope; this token can only view.').waitFor();

      // The page is not the boundary: the API refuses the viewer's token whatever the page does.
      const answers = await page.evaluate(async (healId) => {
        const auth = { authorization: `Bearer ${sessionStorage.getItem('salve.token')}` };
        const json = { ...auth, 'content-type': 'application/json' };
        const calls = [
          fetch(`/v1/heals/${healId}/approve`, { method: 'POST', headers: json, body: '{}' }),
          fetch('/v1/pause', { method: 'PUT', headers: json, body: '{"reason":"x"}' }),
          fetch('/v1/pause', { method: 'DELETE', headers: auth }),
        ];
        return Promise.all(calls.map((c) => c.then((r) => r.status)));
      }, id);
      expect(answers).toEqual([403, 403, 403]);
      expect((await h.heal(id)).state).toBe('awaiting_approval');
    });
  },
);
