import { describe, expect, it } from 'vitest';
import { alertIdentity, normaliseAlert, webhookPayloadSchema } from '../../src/alerts/schema.js';
import { alertmanagerFixture, alertmanagerFixtureNames } from '../support/fixtures.js';

describe('Alertmanager payload schema', () => {
  it.each(alertmanagerFixtureNames())('parses the captured Alertmanager 0.25 payload %s', (name) => {
    const parsed = webhookPayloadSchema.parse(alertmanagerFixture(name));
    expect(parsed.version).toBe('4');
    expect(parsed.alerts.length).toBeGreaterThan(0);
  });

  it('keeps escaped characters of annotations and receivers as Alertmanager meant them', () => {
    const parsed = webhookPayloadSchema.parse(alertmanagerFixture('escaped-receiver-firing'));
    expect(parsed.receiver).toBe('team\\.ops\\+hook');
    expect(parsed.alerts[0]?.annotations.summary).toBe('a<b && c>d');
  });

  it('tolerates fields that newer Alertmanagers add', () => {
    const body = {
      ...alertmanagerFixture('firing-one'),
      notification_reason: 'new_alerts',
      routeLabels: { team: 'ml' },
    };
    expect(webhookPayloadSchema.safeParse(body).success).toBe(true);
  });

  it('rejects a payload without alerts, naming the field', () => {
    const { alerts: _alerts, ...rest } = alertmanagerFixture('firing-one');
    const result = webhookPayloadSchema.safeParse(rest);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['alerts']);
  });

  it('rejects a timestamp that is not RFC 3339', () => {
    const body = alertmanagerFixture('firing-one');
    (body.alerts[0] as Record<string, unknown>).startsAt = 'yesterday';
    const result = webhookPayloadSchema.safeParse(body);
    expect(result.error?.issues[0]?.path).toEqual(['alerts', 0, 'startsAt']);
  });

  it('rejects a day that does not exist instead of storing the day a Date rolls it over to', () => {
    const body = alertmanagerFixture('firing-one');
    (body.alerts[0] as Record<string, unknown>).startsAt = '2026-02-30T00:45:52Z';
    const result = webhookPayloadSchema.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['alerts', 0, 'startsAt']);
    expect(result.error?.issues[0]?.message).toMatch(/date and time that exist/);
  });

  it('normalises timestamps so that the same instant written two ways has one identity', () => {
    const base = webhookPayloadSchema.parse(alertmanagerFixture('firing-one')).alerts[0]!;
    const a = normaliseAlert({ ...base, startsAt: '2026-11-27T00:45:52.027Z' });
    const b = normaliseAlert({ ...base, startsAt: '2026-11-27T02:45:52.027000+02:00' });
    expect(alertIdentity(a)).toBe(alertIdentity(b));
  });

  it('reads the zero endsAt of a firing alert as "not ended"', () => {
    const alert = normaliseAlert(webhookPayloadSchema.parse(alertmanagerFixture('firing-one')).alerts[0]!);
    expect(alert.endsAt).toBeNull();
    const resolved = normaliseAlert(
      webhookPayloadSchema.parse(alertmanagerFixture('resolved-one')).alerts[0]!,
    );
    expect(resolved.endsAt).toBe('2026-11-27T00:46:03.048Z');
  });

  it('gives the firing and the resolved notification of one alert different identities', () => {
    const firing = normaliseAlert(webhookPayloadSchema.parse(alertmanagerFixture('firing-one')).alerts[0]!);
    const resolved = normaliseAlert(
      webhookPayloadSchema.parse(alertmanagerFixture('resolved-one')).alerts[0]!,
    );
    expect(firing.fingerprint).toBe(resolved.fingerprint);
    expect(alertIdentity(firing)).not.toBe(alertIdentity(resolved));
  });
});

describe('label values', () => {
  it('refuses NUL characters, which no store can keep', () => {
    const body = alertmanagerFixture('firing-one');
    (body.alerts[0] as { labels: Record<string, string> }).labels.instance = 'web\u00001';
    const result = webhookPayloadSchema.safeParse(body);
    expect(result.error?.issues[0]?.path).toEqual(['alerts', 0, 'labels', 'instance']);
  });
});
