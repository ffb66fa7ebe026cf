import { afterEach, describe, expect, it } from 'vitest';
import { servingPolicy } from '../support/build-test-app.js';
import { type EngineHarness, firstStartsAt, startEngineHarness } from '../support/engine-harness.js';
import { type FakePagerDuty, startFakePagerDuty } from '../support/fake-pagerduty.js';
import { payload } from '../support/fixtures.js';

// An alert's labels and annotations, and the delivery's externalURL, are whatever reached Alertmanager: hostile.
// What salve pages with must still be an event PagerDuty accepts, say only what the alert said as text, link
// only to http(s) URLs, and keep the routing key out of everything it records.

const MIN = 60_000;
const key = 'R0UTINGKEY0123456789abcdefABCDEF';
const policy = `${servingPolicy}    guards: { approval: { pageAfter: 5m } }\n    notify: [pagerduty]\n`;

describe('PagerDuty pages from hostile alerts', () => {
  let h: EngineHarness | undefined;
  let pd: FakePagerDuty | undefined;
  afterEach(async () => {
    await h?.close();
    await pd?.close();
    h = pd = undefined;
  });

  it('pages an accepted, bounded event however the alert is written, and never records the routing key', async () => {
    pd = await startFakePagerDuty();
    h = await startEngineHarness({
      policies: { 'p.yaml': policy },
      env: {
        SALVE_PAGERDUTY_ROUTING_KEY: key,
        SALVE_PAGERDUTY_URL: pd.enqueueUrl,
        SALVE_PUBLIC_URL: 'https://salve.example',
      },
    });
    const labels = {
      alertname: 'ModelServingErrorRate',
      severity: 'critical',
      namespace: 'ml-prod',
      deployment: 'fraud-scorer',
      // A label that tries to speak for salve: the routing key and dedup_key are not the alert's to choose.
      routing_key: 'ATTACKERKEY0123456789abcdefABCDE',
      dedup_key: 'salve/someone-elses-heal',
    };
    const res = await h.deliver(
      payload(
        [
          {
            labels,
            startsAt: firstStartsAt,
            annotations: {
              summary: `<script>alert(1)</script> ${'very long summary '.repeat(20_000)}`,
              description: '"}, "event_action": "resolve", "x": {"',
            },
          },
        ],
        { externalURL: 'javascript:alert(document.domain)' },
      ),
    );
    expect(res.statusCode).toBe(202);
    const id = res.json().heals.opened[0].id as string;
    await h.run();
    await h.advance(5 * MIN);
    await h.deps.dispatcher.drain();

    expect(pd.requests.map((r) => r.status)).toEqual([202]);
    const [event] = pd.accepted();
    expect(event).toMatchObject({ routing_key: key, event_action: 'trigger', dedup_key: `salve/${id}` });
    expect(event!.payload.summary.length).toBeLessThanOrEqual(1024);
    expect(event!.payload.severity).toBe('critical');
    const summary = event!.payload.custom_details.alert.summary as string;
    expect(summary.startsWith('<script>alert(1)</script> very long summary')).toBe(true);
    expect(summary.length).toBeLessThanOrEqual(2_000);
    expect(event!.links!.map((l) => l.href)).toEqual([
      `https://salve.example/#/heals/${id}`,
      `https://salve.example/v1/heals/${id}`,
      'http://prometheus.example:9090/graph',
    ]);
    expect(Buffer.byteLength(pd.requests[0]!.raw)).toBeLessThanOrEqual(512_000);

    const records = JSON.stringify(await h.deps.store.queryAudit({ limit: 1000 }));
    expect(records).not.toContain(key);
    expect(h.logs.text()).not.toContain(key);
  });
});
