import { describe, expect, it } from 'vitest';
import { atMinute as at } from '../support/fake-clock.js';
import { until } from '../support/wait.js';
import { browserSuite } from './support/browser-suite.js';
import { hasChromium, warnIfNoChromium } from './support/chromium.js';
import { signIn, testTokens } from './support/console-harness.js';

warnIfNoChromium('test/browser/console-autonomy.test.ts');

/** One restart that acts alone once it resolved 1 of at least 1 ended heal; a cooldown the candidate drops. */
const earning = `apiVersion: salve/v1
policies:
  - name: scorer-errors
    match: [alertname="ModelServingErrorRate"]
    target: { kind: Deployment, namespace: "{{ labels.namespace }}", name: "{{ labels.deployment }}" }
    allow: { namespaces: [ml-prod] }
    steps:
      - action: k8s.restart
        verify: { resolved: 5m }
    guards:
      cooldown: 1h
      autonomy: { minSuccessRate: 0.5, minSamples: 1, window: 7d }
`;

describe.skipIf(!hasChromium())('operator console: effectiveness and replay', { timeout: 120_000 }, () => {
  const suite = browserSuite();

  it('shows the wait in numbers, the effectiveness of each step, and a backtest of a candidate table', async () => {
    const h = await suite.salve({
      policies: { 'p.yaml': earning },
      deployments: ['fraud-scorer', 'churn-model'],
    });
    // No record yet: the heal waits, and the list says why in numbers.
    const first = (await h.fire('fraud-scorer', { startsAt: at(0) })).opened[0]!;
    const { page } = await suite.page();
    await signIn(page, h.url, testTokens.operator);
    await page
      .getByText('k8s.restart has no ended heal in 7 days; needs 50 % over at least 1: waits for approval')
      .first()
      .waitFor();

    // Approved, it acts and resolves: one sample, 1 of 1.
    const approved = await h.app.inject({
      method: 'POST',
      url: `/v1/heals/${first}/approve`,
      headers: h.auth('operator'),
    });
    expect(approved.statusCode).toBe(200);
    await until('the approved heal acts', async () => (await h.heal(first)).state === 'verifying');
    await h.advance(30_000);
    await h.resolve('fraud-scorer', { startsAt: at(0) });
    await until('the heal resolves', async () => (await h.heal(first)).state === 'resolved');
    // The next one on another target acts alone; the one on fraud-scorer inside the hour is cooled down.
    await h.advance(30_000);
    await h.fire('churn-model', { startsAt: at(1) });
    await h.advance(60_000);
    await h.fire('fraud-scorer', { startsAt: at(2) });
    await h.run();

    await page.getByRole('link', { name: 'Effectiveness' }).click();
    await page.getByRole('heading', { level: 1, name: 'Effectiveness' }).waitFor();
    const steps = page.locator('table.stats');
    await steps.getByText('cooldown 1').waitFor();
    const row = await steps.locator('tbody tr').first().innerText();
    expect(row).toMatch(/scorer-errors/);
    expect(row).toMatch(/100 %/);
    await page.locator('table.targets').getByText('Deployment/ml-prod/fraud-scorer').waitFor();
    await page.getByLabel('Window').selectOption('1d');
    await page.waitForURL(/#\/stats\?since=1d/);

    // A candidate without the cooldown: the refused heal would have acted.
    await page.getByRole('link', { name: 'Replay' }).click();
    await page.getByLabel(/Candidate policy file/).fill(earning.replace('cooldown: 1h', 'cooldown: 0s'));
    await page.getByLabel('Alerts of the last').selectOption('1d');
    await page.getByRole('button', { name: 'Run the backtest' }).click();
    const result = page.locator('section.replay-result');
    await result.waitFor();
    const text = await result.innerText();
    // Nobody approves in a backtest: the first heal waits and its alert resolves; the cooled-down one acts.
    expect(text).toMatch(/Would open\s+3 heals, taking 2 actions \(what happened: 3 heals, 2 actions\)/);
    expect(text).toMatch(/Would wait for approval\s+autonomy 1/);
    expect(text).toMatch(/2 heal\(s\) would end otherwise/);
    expect(h.patches()).toHaveLength(2);

    // A candidate that does not load: every problem, with its place.
    await page.getByLabel(/Candidate policy file/).fill('apiVersion: salve/v1\npolicies:\n  - name: Bad\n');
    await page.getByRole('button', { name: 'Run the backtest' }).click();
    await page.getByText(/Backtest refused:/).waitFor();
    expect(await page.getByRole('status').innerText()).toMatch(/candidate\.yaml/);
  });

  it('a viewer sees the effectiveness, and why the backtest is not theirs to run', async () => {
    const paging = `${earning}  - name: drift
    match: [alertname="FeatureDrift"]
    target: { kind: Deployment, namespace: "{{ labels.namespace }}", name: "{{ labels.deployment }}" }
    allow: { namespaces: [ml-prod] }
    steps:
      - action: k8s.restart
    guards: { approval: { pageAfter: 20m } }
    notify: [slack]
`;
    const h = await suite.salve({ policies: { 'p.yaml': paging } });
    const { page } = await suite.page();
    await signIn(page, h.url, testTokens.viewer);
    // The policies view states each bound in words.
    await page.goto(`${h.url}#/policies`);
    await page.getByText('acts alone once a step resolved 50 % over at least 1 heals in 7d').waitFor();
    await page.getByText('needs approval; pages after 20m without a decision').waitFor();
    expect(await page.getByText('pageAfterMs').count()).toBe(0);
    await page.goto(`${h.url}#/stats`);
    await page.getByText('No heal opened in this window.').waitFor();
    await page.goto(`${h.url}#/replay`);
    await page.getByText('Running a backtest needs the operator scope').waitFor();
    expect(await page.getByRole('button', { name: 'Run the backtest' }).isDisabled()).toBe(true);
  });
});
