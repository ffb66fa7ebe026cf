import http from 'node:http';
import type { DeliveryStream } from './deliveries.js';
import { benchToken } from './workspace.js';

export type PacedResult = {
  seconds: number;
  /** Deliveries answered 202. */
  acknowledged: number;
  /** Sends skipped because `maxInFlight` requests were still unanswered: the server fell behind the rate. */
  skipped: number;
  statusCounts: Record<string, number>;
  errors: number;
  /** Latency of every 202 from the request's send to the end of its answer, in milliseconds. */
  latenciesMs: number[];
};

export type PacedLoad = {
  /** Stops sending, waits for the requests in flight, and reports. */
  stop(): Promise<PacedResult>;
};

export type PacedLoadOptions = {
  url: string;
  stream: DeliveryStream;
  perSecond: number;
  maxInFlight: number;
};

/**
 * Open-loop load at a steady rate: delivery k is due at start + k / perSecond, whether or not earlier ones
 * were answered. autocannon's `overallRate` is not used because it sends each second's quota as one burst
 * at the start of the second, which would make the latency figures measured beside it depend on where in
 * the second they fall.
 */
export function startPacedLoad(options: PacedLoadOptions): PacedLoad {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxInFlight });
  const intervalMs = 1000 / options.perSecond;
  const statusCounts: Record<string, number> = {};
  const started = performance.now();
  let due = 0;
  let inFlight = 0;
  let acknowledged = 0;
  let skipped = 0;
  let errors = 0;
  const latenciesMs: number[] = [];
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let drained: (() => void) | null = null;

  const finished = () => {
    inFlight -= 1;
    if (inFlight === 0) drained?.();
  };

  function send(body: string): void {
    inFlight += 1;
    const sentAt = performance.now();
    const request = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
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
        const status = String(response.statusCode);
        statusCounts[status] = (statusCounts[status] ?? 0) + 1;
        response.resume();
        response.once('end', () => {
          if (response.statusCode === 202) {
            acknowledged += 1;
            latenciesMs.push(performance.now() - sentAt);
          }
          finished();
        });
        response.once('error', finished);
      },
    );
    request.once('error', () => {
      errors += 1;
      finished();
    });
    request.end(body);
  }

  function tick(): void {
    if (stopped) return;
    const now = performance.now();
    // Catch up on every send that fell due while the timer waited, so the rate holds on average.
    while (started + due * intervalMs <= now) {
      due += 1;
      if (inFlight >= options.maxInFlight) skipped += 1;
      else send(options.stream.next().body);
    }
    timer = setTimeout(tick, Math.max(0, started + due * intervalMs - performance.now()));
  }
  tick();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, 15_000).unref();
        });
      }
      agent.destroy();
      return { seconds, acknowledged, skipped, statusCounts, errors, latenciesMs };
    },
  };
}
