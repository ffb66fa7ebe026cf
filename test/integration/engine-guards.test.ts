import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, servingPolicy } from '../support/build-test-app.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';

const MIN = 60_000;
const later = (n: number) => `2026-11-27T03:${String(n).padStart(2, '0')}:00.000Z`;

/** A second policy acting on the same Deployments, for the loop breaker across policies. */
const latencyPolicy = `apiVersion: salve/v1
policies:
  - name: scorer-latency
    match: [alertname="ModelServingLatencyP99"]
    target: { kind: Deployment, namespace: "{{ labels.namespace }}", name: "{{ labels.deployment }}" }
    allow: { namespaces: [ml-prod] }
    steps:
      - action: k8s.restart
        verify: { resolved: 5m }
    guards: { cooldown: 0s, maxPerTarget: "2/1h" }
`;

/** The serving policy with its restart step only, and the given guards. */
const restartOnly = servingPolicy.replace(
  '      - action: k8s.rollback\n        verify: { rollout: 5m, resolved: 15m }\n',
  '',
);
const withGuards = (guards: string) => `${restartOnly}    guards: ${guards}\n`;

async function resolvedHeal(
  h: EngineHarness,
  deployment: string,
  startsAt: string,
  alertname?: string,
): Promise<string> {
  const { opened } = await h.fire(deployment, { startsAt, alertname });
  await h.run();
  await h.advance(2_000);
  await h.resolve(deployment, { startsAt, alertname });
  await h.run();
  return opened[0]!;
}

describe('guards, in order', () => {
  let h: EngineHarness;
  let closed = false;
  afterEach(async () => {
    if (!closed) await h?.close();
    closed = false;
  });

  it('cooldown refuses a second heal on the same target until it has passed', async () => {
    h = await startEngineHarness({
      policies: { 'p.yaml': withGuards('{ cooldown: 30m, maxPerTarget: "10/1h" }') },
    });
    const first = await resolvedHeal(h, 'fraud-scorer', later(0));
    expect((await h.heal(first)).state).toBe('resolved');
    await h.clock.advance(10 * MIN);
    const { opened } = await h.fire('fraud-scorer', { startsAt: later(10) });
    await h.run();
    const refused = await h.heal(opened[0]!);
    expect(refused).toMatchObject({ state: 'refused', reason: 'cooldown' });
    const record = (await h.timeline(refused.id)).find((r) => r.type === 'guard.refused');
    expect(record?.data).toMatchObject({ guard: 'cooldown', until: expect.any(String) });
    expect(h.patches()).toHaveLength(1);

    await h.clock.advance(25 * MIN);
    const again = await h.fire('fraud-scorer', { startsAt: later(40) });
    await h.run();
    expect((await h.heal(again.opened[0]!)).state).toBe('verifying');
    expect(h.patches()).toHaveLength(2);
  });

  it('the heal-loop breaker counts every policy acting on the target, refuses and escalates, until reset', async () => {
    h = await startEngineHarness({
      policies: { 'a.yaml': withGuards('{ cooldown: 0s, maxPerTarget: "2/1h" }'), 'b.yaml': latencyPolicy },
    });
    await resolvedHeal(h, 'fraud-scorer', later(0));
    await resolvedHeal(h, 'fraud-scorer', later(1), 'ModelServingLatencyP99');
    expect(h.patches()).toHaveLength(2);
    const { opened } = await h.fire('fraud-scorer', { startsAt: later(2) });
    await h.run();
    const broken = await h.heal(opened[0]!);
    expect(broken).toMatchObject({ state: 'escalated', reason: 'loop_breaker' });
    expect(h.patches()).toHaveLength(2);
    const metrics = (await h.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/salve_guard_refusals_total\{guard="rate_limit",reason="loop_breaker"\} 1/);

    const reset = await h.app.inject({
      method: 'POST',
      url: '/v1/breaker/reset',
      headers: h.auth('operator'),
      payload: { target: 'Deployment/ml-prod/fraud-scorer' },
    });
    expect(reset.statusCode).toBe(200);
    await h.clock.advance(1);
    const after = await h.fire('fraud-scorer', { startsAt: later(3) });
    await h.run();
    expect((await h.heal(after.opened[0]!)).state).toBe('verifying');
    expect(h.patches()).toHaveLength(3);
  });

  it('the global ceiling refuses actions beyond SALVE_MAX_ACTIONS_PER_HOUR', async () => {
    h = await startEngineHarness({
      deployments: ['a', 'b'],
      env: { SALVE_MAX_ACTIONS_PER_HOUR: '1' },
      policies: { 'p.yaml': withGuards('{ cooldown: 0s, maxPerTarget: "5/1h" }') },
    });
    await h.fire('a');
    await h.run();
    const { opened } = await h.fire('b');
    await h.run();
    expect(await h.heal(opened[0]!)).toMatchObject({ state: 'escalated', reason: 'global_rate_limit' });
    expect(h.patches()).toHaveLength(1);
  });

  it('pause: alerts are recorded, nothing is acted on, and acting resumes when unpaused', async () => {
    h = await startEngineHarness();
    const paused = await h.app.inject({
      method: 'PUT',
      url: '/v1/pause',
      headers: h.auth('operator'),
      payload: { reason: 'incident 42' },
    });
    expect(paused.json()).toMatchObject({ paused: true, by: 'token:operator', reason: 'incident 42' });
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    await h.advance(5_000);
    expect(await h.heal(opened[0]!)).toMatchObject({ state: 'pending', reason: 'paused' });
    expect(h.sim.mutations()).toHaveLength(0);
    const ready = (await h.app.inject({ url: '/readyz' })).json();
    expect(ready.warnings.join(' ')).toMatch(/paused/);
    expect((await h.app.inject({ url: '/metrics' })).body).toMatch(/^salve_paused 1$/m);
    const holds = (await h.timeline(opened[0]!)).filter((r) => r.type === 'guard.held');
    expect(holds).toHaveLength(1);

    await h.app.inject({ method: 'DELETE', url: '/v1/pause', headers: h.auth('operator') });
    await h.advance(1_000);
    expect((await h.heal(opened[0]!)).state).toBe('verifying');
    expect(h.patches()).toHaveLength(1);
  });

  it('a pause survives a restart of salve', async () => {
    h = await startEngineHarness();
    await h.app.inject({
      method: 'PUT',
      url: '/v1/pause',
      headers: h.auth('operator'),
      payload: { reason: 'maintenance' },
    });
    const dir = h.dir;
    await h.close();
    closed = true;
    const restarted = await buildTestApp({ dir });
    try {
      const pause = (
        await restarted.app.inject({ url: '/v1/pause', headers: restarted.auth('viewer') })
      ).json();
      expect(pause).toMatchObject({ paused: true, reason: 'maintenance' });
      expect((await restarted.app.inject({ url: '/readyz' })).json().checks.paused).toMatch(/^paused/);
    } finally {
      await restarted.close();
    }
  });

  it('an alert that resolves before salve acts cancels the heal', async () => {
    h = await startEngineHarness();
    await h.app.inject({ method: 'PUT', url: '/v1/pause', headers: h.auth('operator') });
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    await h.resolve('fraud-scorer');
    await h.run();
    expect(await h.heal(opened[0]!)).toMatchObject({ state: 'cancelled', reason: 'alerts_resolved' });
    expect(h.sim.mutations()).toHaveLength(0);
  });
});
