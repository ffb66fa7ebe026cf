import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');
/** Captured from a real Alertmanager 0.25 (body bytes and headers as sent); kept with the tests that use them. */
export const alertmanagerFixturesDir = path.resolve(repoRoot, 'test/fixtures/alertmanager-0.25');

/** Names of the real Alertmanager 0.25 payloads (without .json). */
export function alertmanagerFixtureNames(): string[] {
  return fs
    .readdirSync(alertmanagerFixturesDir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.headers.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

/** The raw body bytes exactly as Alertmanager sent them. */
export function alertmanagerFixtureBody(name: string): string {
  return fs.readFileSync(path.join(alertmanagerFixturesDir, `${name}.json`), 'utf8');
}

export function alertmanagerFixture(
  name: string,
): Record<string, unknown> & { alerts: Array<Record<string, unknown>> } {
  return JSON.parse(alertmanagerFixtureBody(name));
}

export type PayloadAlert = {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  status?: 'firing' | 'resolved';
  startsAt?: string;
  endsAt?: string;
  fingerprint?: string;
};

/** A version-4 payload shaped like the captured ones, for alerts the fixtures do not hold. */
export function payload(
  alerts: PayloadAlert[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const full = alerts.map((a) => ({
    status: a.status ?? 'firing',
    labels: a.labels,
    annotations: a.annotations ?? {},
    startsAt: a.startsAt ?? '2026-11-27T00:45:52.027Z',
    endsAt: a.endsAt ?? (a.status === 'resolved' ? '2026-11-27T00:55:52.027Z' : '0001-01-01T00:00:00Z'),
    generatorURL: 'http://prometheus.example:9090/graph',
    fingerprint: a.fingerprint ?? fingerprintOf(a.labels),
  }));
  const status = full.every((a) => a.status === 'resolved') ? 'resolved' : 'firing';
  return {
    receiver: 'salve',
    status,
    alerts: full,
    groupLabels: { alertname: alerts[0]?.labels.alertname ?? '' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:19093',
    version: '4',
    groupKey: `{}:{alertname="${alerts[0]?.labels.alertname ?? ''}"}`,
    truncatedAlerts: 0,
    ...extra,
  };
}

/** A stable 16-hex fingerprint of a label set, like Alertmanager's. */
export function fingerprintOf(labels: Record<string, string>, salt = 0): string {
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
  let h1 = 0x811c9dc5 ^ salt;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    h1 = Math.imul(h1 ^ text.charCodeAt(i), 16777619) >>> 0;
    h2 = Math.imul(h2 + text.charCodeAt(i), 2246822519) >>> 0;
  }
  return (h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')).slice(0, 16);
}

/** Stock kube-prometheus alerts as a real Alertmanager 0.25 delivered them (test/fixtures/kube-prometheus). */
export const kubePrometheusFixturesDir = path.resolve(repoRoot, 'test/fixtures/kube-prometheus');
export type KubePrometheusFlavour = 'kube-prometheus' | 'kube-prometheus-stack';
export type KubePrometheusFixture = {
  /** `<alertname>.<namespace>`: one notification of the group Alertmanager sent for that pair. */
  name: string;
  /** The body bytes exactly as sent. */
  body: string;
  payload: Record<string, unknown> & { alerts: Array<{ labels: Record<string, string>; startsAt: string }> };
  headers: Record<string, string>;
};

export function kubePrometheusFixtures(flavour: KubePrometheusFlavour): KubePrometheusFixture[] {
  const dir = path.join(kubePrometheusFixturesDir, flavour);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.headers.json'))
    .sort()
    .map((f) => {
      const body = fs.readFileSync(path.join(dir, f), 'utf8');
      const headers = JSON.parse(
        fs.readFileSync(path.join(dir, f.replace(/\.json$/, '.headers.json')), 'utf8'),
      );
      return { name: f.replace(/\.json$/, ''), body, payload: JSON.parse(body), headers };
    });
}
