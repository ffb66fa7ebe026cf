import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { freePort } from '../../support/child-salve.js';
import { GiveUp, waitFor } from '../../support/wait.js';
import { sumOf } from './prom-text.js';

/** The Debian package prometheus-alertmanager installs it here (there is no `alertmanager` on PATH). */
export const alertmanagerBinary = '/usr/bin/prometheus-alertmanager';
export const hasAlertmanager = (): boolean => fs.existsSync(alertmanagerBinary);

/** Each end-to-end test starts salve from its sources (several seconds on a busy machine) and real peers. */
export const E2E_TIMEOUT_MS = 90_000;

export type AmAlert = {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt: string;
  /** In the past: the alert is resolved. */
  endsAt?: string;
  generatorURL?: string;
};

export type AlertmanagerOptions = {
  /** salve's webhook, e.g. http://127.0.0.1:PORT/v1/alertmanager */
  receiverUrl: string;
  /** Sent as `Authorization: Bearer`, read by Alertmanager from a credentials file. */
  token: string;
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  /** Gossip with peers on loopback; without it Alertmanager runs single-node. */
  cluster?: {
    listenPort: number;
    peers: number[];
    peerTimeout?: string;
    gossipInterval?: string;
    probeInterval?: string;
  };
  /** Where config and storage go; default: a new temporary directory. */
  dir?: string;
  /** The route's group_by (default [alertname]). */
  groupBy?: string[];
  /** Alertmanager's --web.external-url, which its notifications carry (default: its own loopback URL). */
  externalUrl?: string;
};

export type Alertmanager = {
  url: string;
  process: ChildProcess;
  /** POST /api/v2/alerts, as Prometheus does. */
  push(alerts: AmAlert[]): Promise<void>;
  /** Alertmanager's own /metrics, summed over the samples whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Webhook notifications Alertmanager counts as delivered (attempts minus failures). */
  delivered(): Promise<number>;
  output(): string;
  stop(): Promise<void>;
};

/** A receiver config that Alertmanager 0.25 accepts (it rejects url_file, timeout and http_headers). */
export function alertmanagerConfig(options: AlertmanagerOptions, credentialsFile: string): string {
  return YAML.stringify({
    route: {
      receiver: 'salve',
      group_by: options.groupBy ?? ['alertname'],
      group_wait: options.groupWait ?? '1s',
      group_interval: options.groupInterval ?? '1s',
      repeat_interval: options.repeatInterval ?? '1h',
    },
    receivers: [
      {
        name: 'salve',
        webhook_configs: [
          {
            url: options.receiverUrl,
            send_resolved: true,
            max_alerts: 0,
            http_config: { authorization: { type: 'Bearer', credentials_file: credentialsFile } },
          },
        ],
      },
    ],
  });
}

const OUTPUT_LIMIT = 64 * 1024;

/** Starts a real Alertmanager on loopback and waits until it answers /-/ready. */
export async function startAlertmanager(options: AlertmanagerOptions): Promise<Alertmanager> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'salve-am-'));
  const credentials = path.join(dir, 'salve-token');
  fs.writeFileSync(credentials, options.token, { mode: 0o600 });
  const configFile = path.join(dir, 'alertmanager.yml');
  fs.writeFileSync(configFile, alertmanagerConfig(options, credentials));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const cluster = options.cluster
    ? [
        `--cluster.listen-address=127.0.0.1:${options.cluster.listenPort}`,
        ...options.cluster.peers.map((p) => `--cluster.peer=127.0.0.1:${p}`),
        `--cluster.peer-timeout=${options.cluster.peerTimeout ?? '1ms'}`,
        `--cluster.gossip-interval=${options.cluster.gossipInterval ?? '50ms'}`,
        `--cluster.probe-interval=${options.cluster.probeInterval ?? '1s'}`,
        // Alertmanager waits for the cluster to settle before its first notification: not a minute here.
        '--cluster.settle-timeout=2s',
      ]
    : ['--cluster.listen-address='];
  const child = spawn(
    alertmanagerBinary,
    [
      `--config.file=${configFile}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${options.externalUrl ?? url}`,
      ...cluster,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + String(d)).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitFor(
      'Alertmanager to be ready',
      async () => {
        if (child.exitCode !== null) throw new GiveUp(`alertmanager exited (${child.exitCode})`);
        return (await fetch(`${url}/-/ready`)).status;
      },
      (status) => status === 200,
      { timeoutMs: 10_000, everyMs: 50 },
    );
    if (child.exitCode !== null) throw new Error(`alertmanager exited (${child.exitCode})`);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    sumOf(await (await fetch(`${url}/metrics`)).text(), name, labels);
  return {
    url,
    process: child,
    async push(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!res.ok) throw new Error(`alertmanager refused the alerts: ${res.status} ${await res.text()}`);
    },
    metric,
    async delivered() {
      const webhook = { integration: 'webhook' };
      return (
        (await metric('alertmanager_notifications_total', webhook)) -
        (await metric('alertmanager_notifications_failed_total', webhook))
      );
    },
    output: () => output,
    stop,
  };
}
