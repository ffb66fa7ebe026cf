import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { fingerprintOf, payload } from '../test/support/fixtures.js';
import type { RecordedRequest } from '../test/support/kube-sim/index.js';
import { benchToken } from './workspace.js';

export const probeAlertname = 'BenchDeploymentDown';

/** One foreground alert: when it left, how salve answered, and when the simulator first heard of its target. */
export type ProbeSample = {
  deployment: string;
  sentAt: number;
  status: number;
  /** Heals the 202 says it opened: 1 when the alert reached the engine as intended. */
  opened: number;
  ackMs: number;
  /** Simulator time of the first GET or PATCH of the Deployment; null if none came. */
  firstRequestAt: number | null;
};

/** A one-alert firing delivery for `deployment`, shaped like Alertmanager's, with a fingerprint of its own. */
export function probeBody(namespace: string, deployment: string, startsAt: string): string {
  const labels = {
    alertname: probeAlertname,
    severity: 'critical',
    namespace,
    deployment,
    pod: `${deployment}-7d9f8c6b5-x2x4k`,
    job: 'kubernetes-pods',
  };
  return JSON.stringify(
    payload([{ labels, startsAt, fingerprint: fingerprintOf(labels, 7) }], {
      groupLabels: { alertname: probeAlertname, deployment },
      commonLabels: labels,
      groupKey: `{}:{alertname="${probeAlertname}", deployment="${deployment}"}`,
    }),
  );
}

/**
 * The first GET or PATCH of each Deployment among the simulator's recorded requests, read incrementally
 * (the list only grows). Subresources (/scale, /status) and lists do not count.
 */
export function createFirstRequestIndex(requests: readonly RecordedRequest[], namespace: string) {
  const prefix = `/apis/apps/v1/namespaces/${namespace}/deployments/`;
  const first = new Map<string, number>();
  let cursor = 0;
  const scan = () => {
    for (; cursor < requests.length; cursor++) {
      const r = requests[cursor]!;
      if ((r.method !== 'GET' && r.method !== 'PATCH') || !r.path.startsWith(prefix)) continue;
      const name = r.path.slice(prefix.length);
      if (name.includes('/') || first.has(name)) continue;
      first.set(name, r.at);
    }
  };
  return {
    firstAt(name: string): number | undefined {
      scan();
      return first.get(name);
    },
  };
}

type FirstRequestIndex = ReturnType<typeof createFirstRequestIndex>;

function post(agent: http.Agent, url: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: '/v1/alertmanager',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${benchToken}`,
          'user-agent': 'Alertmanager/0.25.0',
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.once('end', () => resolve({ status: response.statusCode ?? 0, text }));
        response.once('error', reject);
      },
    );
    request.once('error', reject);
    request.end(body);
  });
}

function openedCount(text: string): number {
  try {
    const parsed = JSON.parse(text) as { heals?: { opened?: unknown[] } };
    return parsed.heals?.opened?.length ?? 0;
  } catch {
    return 0;
  }
}

export type ProbeOptions = {
  url: string;
  namespace: string;
  deployments: readonly string[];
  everyMs: number;
  /** The simulator's clock, so send times and request times compare. */
  now: () => number;
  index: FirstRequestIndex;
  /** How long to wait for the last requests after the last alert. */
  waitMs: number;
};

/**
 * Sends one alert per Deployment, every `everyMs`, on a connection of its own (never queued behind
 * background load), then waits for the first request of each at the simulator.
 */
export async function probe(options: ProbeOptions): Promise<ProbeSample[]> {
  const url = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const startsAt = new Date().toISOString();
  // Built before the clock starts: only sending counts.
  const bodies = options.deployments.map((d) => probeBody(options.namespace, d, startsAt));
  const samples: ProbeSample[] = [];
  try {
    const start = options.now();
    for (const [i, deployment] of options.deployments.entries()) {
      const wait = start + i * options.everyMs - options.now();
      if (wait > 0) await sleep(wait);
      const sentAt = options.now();
      const answer = await post(agent, url, bodies[i]!);
      samples.push({
        deployment,
        sentAt,
        status: answer.status,
        opened: answer.status === 202 ? openedCount(answer.text) : 0,
        ackMs: options.now() - sentAt,
        firstRequestAt: null,
      });
    }
  } finally {
    agent.destroy();
  }
  const deadline = options.now() + options.waitMs;
  const pending = () =>
    samples.filter((s) => s.opened > 0 && options.index.firstAt(s.deployment) === undefined);
  while (pending().length > 0 && options.now() < deadline) await sleep(20);
  return samples.map((s) => ({ ...s, firstRequestAt: options.index.firstAt(s.deployment) ?? null }));
}
