import autocannon from 'autocannon';
import type { DeliveryStream } from './deliveries.js';
import { benchToken } from './workspace.js';

export type LoadResult = {
  /** Seconds the load actually ran. */
  seconds: number;
  /** Deliveries answered 202 (acknowledged: committed, by contract). */
  acknowledged: number;
  /** Distinct alert groups among the acknowledged deliveries. */
  ackedGroups: Set<number>;
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Latency of every 202, in milliseconds (autocannon's own histogram rounds to whole ms). */
  latenciesMs: Float64Array;
};

export type LoadOptions = {
  url: string;
  stream: DeliveryStream;
  connections: number;
  /** Run for this many seconds... */
  duration?: number;
  /** ...or until this many deliveries were sent. */
  amount?: number;
};

/** Drives POST /v1/alertmanager with the stream's bodies, as Alertmanager would (Bearer token, JSON). */
export async function drive(options: LoadOptions): Promise<LoadResult> {
  const ackedGroups = new Set<number>();
  let acknowledged = 0;
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.duration ?? 10 }),
    // Alertmanager gives up on a webhook after about 10 s.
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/v1/alertmanager',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${benchToken}`,
          'user-agent': 'Alertmanager/0.25.0',
        },
        setupRequest(request, context) {
          const delivery = options.stream.next();
          context.group = delivery.group;
          return { ...request, body: delivery.body };
        },
        onResponse(status, _body, context) {
          if (status !== 202) return;
          acknowledged += 1;
          ackedGroups.add(context.group as number);
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status !== 202) return;
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = ms;
  });
  const result = await instance;
  const statusCounts: Record<string, number> = {};
  for (const [status, { count: n }] of Object.entries(result.statusCodeStats)) statusCounts[status] = n;
  return {
    seconds: result.duration,
    acknowledged,
    ackedGroups,
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts,
    latenciesMs: latencies.slice(0, count),
  };
}

/** The same stream driven at several servers at once (replicas behind a load balancer), the connections shared out. */
export async function driveAll(
  urls: readonly string[],
  options: Omit<LoadOptions, 'url'>,
): Promise<LoadResult> {
  const each = Math.max(1, Math.round(options.connections / urls.length));
  const results = await Promise.all(urls.map((url) => drive({ ...options, url, connections: each })));
  if (results.length === 1) return results[0]!;
  const statusCounts: Record<string, number> = {};
  for (const r of results)
    for (const [status, n] of Object.entries(r.statusCounts))
      statusCounts[status] = (statusCounts[status] ?? 0) + n;
  const latenciesMs = new Float64Array(results.reduce((n, r) => n + r.latenciesMs.length, 0));
  let at = 0;
  for (const r of results) {
    latenciesMs.set(r.latenciesMs, at);
    at += r.latenciesMs.length;
  }
  return {
    seconds: Math.max(...results.map((r) => r.seconds)),
    acknowledged: results.reduce((n, r) => n + r.acknowledged, 0),
    ackedGroups: new Set(results.flatMap((r) => [...r.ackedGroups])),
    statusCounts,
    errors: results.reduce((n, r) => n + r.errors, 0),
    timeouts: results.reduce((n, r) => n + r.timeouts, 0),
    latenciesMs,
  };
}
