import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { servingPolicy } from '../support/build-test-app.js';
import { payload } from '../support/fixtures.js';
import { browserSuite } from './support/browser-suite.js';
import { hasChromium, warnIfNoChromium } from './support/chromium.js';
import { approvalPolicy, signIn, testTokens } from './support/console-harness.js';

warnIfNoChromium('test/browser/console-security.test.ts');

/** Markup and script in every place an alert sender controls. Each would set window.pwned if it ran. */
const hostile = {
  script: '<script>window.pwned = "script"</script>',
  img: '<img src=x onerror="window.pwned=\'img\'">',
  svg: '<svg onload="window.pwned=\'svg\'"></svg>',
  iframe: '<iframe srcdoc="<script>parent.pwned=1</script>"></iframe>',
  style: '<style>body{display:none}</style><b style="color:red">bold</b>',
  entity: '&lt;not markup&gt; &amp; &#x3C;script&#x3E;',
  dialog: '"><script>alert(document.domain)</script>',
};

/** A page on another origin: the attacker's site an operator happens to have open. */
async function attackerSite(html: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // localhost vs 127.0.0.1: another site entirely, not just another port.
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(!hasChromium())('operator console: a security boundary', { timeout: 90_000 }, () => {
  const suite = browserSuite();
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('renders labels and annotations that carry markup and script as text, and runs none of it', async () => {
    const h = await suite.salve();
    const res = await h.deliver(
      payload([
        {
          labels: {
            alertname: 'ModelServingErrorRate',
            severity: 'critical',
            namespace: 'ml-prod',
            deployment: 'fraud-scorer',
            ...Object.fromEntries(Object.entries(hostile).map(([k, v]) => [`x_${k}`, v])),
          },
          annotations: { ...hostile, runbook_url: 'javascript:window.pwned="link"' },
        },
      ]),
    );
    expect(res.statusCode).toBe(202);
    const w = await suite.page();
    const { page } = w;
    await signIn(page, h.url, testTokens.operator);
    await page.getByRole('link', { name: /fraud-scorer/ }).click();
    const card = page.locator('ul.alerts > li');
    await card.waitFor();
    // Each label and annotation is exactly its text: the characters, not what they would parse into.
    const [labels, annotations] = await card
      .locator('dl.kv')
      .evaluateAll((lists) =>
        lists.map((dl) =>
          Object.fromEntries(
            [...dl.querySelectorAll(':scope > div')].map((d) => [
              d.querySelector('dt')?.textContent,
              d.querySelector('dd')?.textContent,
            ]),
          ),
        ),
      );
    for (const [k, v] of Object.entries(hostile)) {
      expect(labels?.[`x_${k}`], `label x_${k}`).toBe(v);
      expect(annotations?.[k], `annotation ${k}`).toBe(v);
    }
    expect(annotations?.runbook_url).toBe('javascript:window.pwned="link"');
    // Nothing became an element: no image, frame, svg, style or script inside the page's content.
    expect(await page.locator('main :is(img, iframe, svg, style, script, b)').count()).toBe(0);
    // A javascript: URL in an alert is shown, never linked.
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    // Open every detail that shows record data, so all of it is rendered too.
    for (const summary of await page.locator('summary').all()) await summary.click();
    expect(await page.locator('main :is(img, iframe, svg, style, script, b)').count()).toBe(0);
    expect(await page.evaluate(() => (window as { pwned?: unknown }).pwned)).toBeUndefined();
    expect(await page.evaluate(() => getComputedStyle(document.body).display)).not.toBe('none');
    // The audit view shows the same records: text there too.
    await page.getByRole('link', { name: 'Audit', exact: true }).click();
    await page.getByRole('heading', { name: 'Latest records' }).waitFor();
    for (const summary of await page.locator('summary').all()) await summary.click();
    expect(await page.locator('main :is(img, iframe, svg, style, script, b)').count()).toBe(0);
    expect(await page.evaluate(() => (window as { pwned?: unknown }).pwned)).toBeUndefined();
    expect(w.dialogs).toEqual([]);

    // The second defence: Trusted Types refuse any string handed to an HTML sink, should a bug ever try.
    const sink = await page.evaluate(() => {
      try {
        document.createElement('div').innerHTML = '<img src=x>';
        return 'assigned';
      } catch (err) {
        return (err as Error).name;
      }
    });
    expect(sink).toBe('TypeError');
    expect(w.violations.splice(0).join('\n')).toMatch(/TrustedHTML/);
  });

  it('a page on another site cannot approve through a signed-in browser, nor read the API', async () => {
    const h = await suite.salve({ policies: { 'p.yaml': approvalPolicy(servingPolicy) } });
    const id = (await h.fire('fraud-scorer')).opened[0]!;
    const w = await suite.page();
    await signIn(w.page, h.url, testTokens.operator);
    const target = `${h.url}v1/heals/${id}/approve`;
    const evil = await attackerSite(`<!doctype html>
      <iframe name="sink"></iframe>
      <form id="f" method="POST" action="${target}" target="sink" enctype="text/plain">
        <input name='{"comment":"pwned","x":"' value='"}'>
      </form>
      <form id="g" method="POST" action="${target}" target="sink"></form>
      <script>
        window.results = [];
        fetch(${JSON.stringify(target)}, { method: 'POST', credentials: 'include', mode: 'no-cors' })
          .then(() => results.push('no-cors sent'), (e) => results.push('no-cors failed'));
        fetch(${JSON.stringify(target)}, {
          method: 'POST', credentials: 'include',
          headers: { authorization: 'Bearer guess', 'content-type': 'application/json' }, body: '{}',
        }).then((r) => results.push('cors ' + r.status), () => results.push('cors blocked'));
        fetch(${JSON.stringify(`${h.url}v1/heals`)}, { credentials: 'include' })
          .then((r) => results.push('read ' + r.status), () => results.push('read blocked'));
        document.getElementById('f').submit();
      </script>`);
    closers.push(evil.close);
    const attacker = await w.context.newPage();
    await attacker.goto(evil.url);
    await attacker.waitForFunction(() => (window as { results?: string[] }).results?.length === 3);
    const results = await attacker.evaluate(() => (window as unknown as { results: string[] }).results);
    // The preflighted call and the read are stopped by the browser: salve grants no CORS.
    expect(results).toEqual(expect.arrayContaining(['cors blocked', 'read blocked']));
    // The form posts arrive without credentials and from another site: refused.
    const frame = attacker.frame({ name: 'sink' })!;
    await frame.waitForURL(target);
    expect(await frame.locator('body').innerText()).toContain('SALVE_REQUEST_CROSS_SITE');
    await attacker.evaluate(() => (document.getElementById('g') as HTMLFormElement).submit());
    await attacker.frame({ name: 'sink' })!.waitForLoadState();
    expect((await h.heal(id)).state).toBe('awaiting_approval');
    expect((await h.timeline(id)).filter((r) => r.type.startsWith('approval.granted'))).toEqual([]);
    // And the attacker's page cannot read the console's token.
    expect(await attacker.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('cannot be framed by another site (no clickjacking of Approve)', async () => {
    const h = await suite.salve();
    const evil = await attackerSite(`<!doctype html><iframe id="c" name="c" src="${h.url}"></iframe>`);
    closers.push(evil.close);
    const { context } = await suite.page();
    // The attacker's page, not the console, is the one that sees the refusal.
    const attacker = await context.newPage();
    const refused = attacker.waitForEvent('console', (m) => /frame-ancestors 'none'/.test(m.text()));
    await attacker.goto(evil.url);
    await refused;
    // The frame holds the browser's error page, not the console.
    expect(await attacker.frameLocator('#c').locator('#token').count()).toBe(0);
  });
});
