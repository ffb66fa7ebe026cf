import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { buildTestApp, prepareSalveDir, type TestApp } from '../support/build-test-app.js';
import { alertGroup } from '../support/counted-store.js';
import { deliverCounted, parsesDuring } from '../support/digest-paths.js';
import { fakeClock } from '../support/fake-clock.js';
import type { DecodedSpan } from '../support/otlp-decode.js';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';
import { postAlerts } from '../support/requests.js';
import { waitFor } from '../support/wait.js';

/*
 * The digest's answer over a real socket, in the delivery's span, and never for a delivery that was not
 * acknowledged in time (its commit landed after the 503).
 */

describe('a delivery answered by its body’s digest, beyond inject', () => {
  let t: TestApp | undefined;
  let receiver: OtlpReceiver | undefined;
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    await receiver?.close();
    t = receiver = undefined;
  });

  it('over HTTP: the same bytes twice, the second answered by digest with the long way’s answer', async () => {
    t = await buildTestApp();
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const text = JSON.stringify(alertGroup());
    const first = await postAlerts(base, text);
    expect(first.status).toBe(202);
    const long = await postAlerts(base, `${text}\n`);
    const { result: hit, parses } = await parsesDuring(async () => {
      const res = await postAlerts(base, text);
      return { status: res.status, text: await res.text() };
    });
    // The answer's own text is read above, without parsing it: nothing on the server parsed the body.
    expect(parses).toBe(0);
    expect(hit.status).toBe(202);
    expect(JSON.parse(hit.text)).toEqual(await long.json());
    expect(JSON.parse(hit.text)).toMatchObject({ delivery: null, alerts: { received: 3, deduplicated: 3 } });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^salve_alerts_deduplicated_total 6$/m);
    expect(metrics).toMatch(/^salve_alerts_received_total\{status="firing"\} 9$/m);
    expect(metrics).toMatch(/^salve_webhook_requests_total\{outcome="accepted"\} 3$/m);
  });

  it('the delivery’s span says what the long way’s says', async () => {
    receiver = await startOtlpReceiver();
    t = await buildTestApp({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '60000' },
    });
    const text = JSON.stringify(alertGroup());
    await t.deliver(text);
    await t.deliver(` ${text}`);
    expect((await deliverCounted(t, text)).parsed).toBe(false);
    await t.deps.tracer.flush();
    const servers = (spans: DecodedSpan[]) => spans.filter((s) => s.name === 'POST /v1/alertmanager');
    const spans = servers(await receiver.waitForSpans('three deliveries', (s) => servers(s).length === 3));
    const [, long, hit] = spans.sort((a, b) => Number(a.startNs - b.startNs));
    expect(hit!.attributes).toEqual(long!.attributes);
    expect(hit!.attributes).toMatchObject({ 'salve.alerts.received': 3, 'salve.alerts.new': 0 });
    expect(hit!.status).toEqual(long!.status);
  });

  it('a delivery answered 503 at its deadline and committed afterwards is not remembered', async () => {
    const { dir } = prepareSalveDir();
    const clock = fakeClock();
    const store = openSqliteStore({ file: path.join(dir, 'salve.db'), clock });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding = true;
    t = await buildTestApp({
      dir,
      env: { SALVE_DELIVERY_DEADLINE: '200ms' },
      overrides: {
        clock,
        store: {
          ...store,
          ingest: (input) => (holding ? held.then(() => store.ingest(input)) : store.ingest(input)),
        },
      },
    });
    const text = JSON.stringify(alertGroup());
    expect((await t.deliver(text)).statusCode).toBe(503);
    holding = false;
    release();
    await waitFor(
      'the late commit',
      () => store.listAlerts({ limit: 10 }),
      (alerts) => alerts.length === 3,
    );
    // Committed, and known committed: the long way answers it from the committed set, and only then is it
    // answered by digest.
    const again = await deliverCounted(t, text);
    expect(again.parsed).toBe(true);
    expect(again.res.json()).toMatchObject({ delivery: null, alerts: { deduplicated: 3 } });
    expect((await deliverCounted(t, text)).parsed).toBe(false);
  });
});
