import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createActionRuntime } from '../../src/actions/runtime.js';
import type { ActionContext, TargetRef } from '../../src/actions/types.js';
import type { Clock } from '../../src/clock.js';
import { ActionFailed } from '../../src/errors.js';
import { createUnconfiguredKubeClient } from '../../src/kube/unconfigured.js';
import { withMarkStep } from './action-heal.js';
import { captureLogs, type LogCapture } from './log-capture.js';

// A small recording HTTP server on 127.0.0.1:0 with fault injection, which the ML platform fakes
// (fake-airflow, fake-mlflow, fake-argo, fake-kubeflow) build on, plus the generic webhook receiver itself
// and the context the HTTP actions run with in tests.

export type RecordedRequest = {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the body is JSON, else the raw text ('' for none). */
  body: unknown;
  contentType: string | undefined;
};

export type FakeReply = { status: number; body?: unknown };
export type FakeHandler = (req: RecordedRequest) => FakeReply | Promise<FakeReply>;

type Fault = { route: RegExp; times: number; status: number | 'hang' };

export type FakeHttp = {
  url: string;
  requests: RecordedRequest[];
  /** The next `times` requests matching `route` (tested on "METHOD /path") answer `status`, or never ('hang'). */
  failNext(status: number | 'hang', times?: number, route?: RegExp): void;
  /** The next `times` matching requests are handled (their effect happens) but never answered. */
  loseNextReply(times?: number, route?: RegExp): void;
  close(): Promise<void>;
};

function parseBody(raw: string): unknown {
  if (raw === '') return '';
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * A `GET /healthz` is not for a fake service: it is the start-up poller of a salve child process (another test,
 * running at the same time) whose port this fake was given when that process released it. Answered 404 and not
 * recorded, so that a test counting what salve sent counts only salve.
 */
export function strayPoll(method: string | undefined, path: string): boolean {
  return method === 'GET' && path === '/healthz';
}

export async function startFakeHttp(handler: FakeHandler): Promise<FakeHttp> {
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const lost: Fault[] = [];
  const take = (list: Fault[], route: string): Fault | undefined => {
    const fault = list.find((f) => f.times > 0 && f.route.test(route));
    if (fault !== undefined) fault.times -= 1;
    return fault;
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: parseBody(Buffer.concat(chunks).toString('utf8')),
        contentType: req.headers['content-type'],
      };
      if (strayPoll(recorded.method, recorded.path)) {
        res.writeHead(404).end();
        return;
      }
      requests.push(recorded);
      const route = `${recorded.method} ${recorded.path}`;
      const fault = take(faults, route);
      if (fault?.status === 'hang') return;
      const reply = fault
        ? { status: fault.status, body: { message: 'injected fault' } }
        : await handler(recorded);
      if (take(lost, route) !== undefined) return;
      const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(status, times = 1, route = /.*/) {
      faults.push({ route, times, status });
    },
    loseNextReply(times = 1, route = /.*/) {
      lost.push({ route, times, status: 'hang' });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A clock whose sleeps return at once and are recorded: backoff is observable and costs no time. */
export type InstantClock = Clock & { sleeps: number[] };

export function instantClock(start = '2026-11-27T03:00:00.000Z'): InstantClock {
  const sleeps: number[] = [];
  let now = new Date(start).getTime();
  return {
    sleeps,
    now: () => new Date(now),
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

export type HttpActionEnv = {
  clock: InstantClock;
  logs: LogCapture;
  context(heal?: Partial<ActionContext['heal']>): ActionContext;
};

/** Contexts for HTTP actions: credentials from `env` only, no cluster, an instant clock, captured logs. */
export function httpActionEnv(target: TargetRef, env: Record<string, string> = {}): HttpActionEnv {
  const clock = instantClock();
  const logs = captureLogs();
  const kube = createUnconfiguredKubeClient('HTTP actions never call Kubernetes');
  // One runtime (its token cache) for every context of this environment, as the engine has one per process.
  const runtime = createActionRuntime(env, clock);
  return {
    clock,
    logs,
    context: (heal = {}) => ({
      heal: withMarkStep({
        id: 'heal_01jdx0000000000000000000',
        policy: 'model-retrain',
        step: 1,
        attempt: 1,
        ...heal,
      }),
      target,
      kube,
      ...runtime,
      clock,
      log: logs.log,
    }),
  };
}

/** A receiver that honours Idempotency-Key: a key seen before answers 409. */
export type FakeWebhook = FakeHttp & { deliveries: () => Array<{ key: string; body: unknown }> };

export async function startFakeWebhook(
  options: { token?: string; path?: string } = {},
): Promise<FakeWebhook> {
  const seen = new Map<string, unknown>();
  const http = await startFakeHttp((req) => {
    if (req.method !== 'POST' || (options.path !== undefined && req.path !== options.path)) {
      return { status: 404, body: { message: 'no such hook' } };
    }
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return { status: 401, body: { message: 'invalid token' } };
    }
    if (!req.contentType?.startsWith('application/json'))
      return { status: 415, body: { message: 'JSON only' } };
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string') return { status: 400, body: { message: 'Idempotency-Key is required' } };
    if (seen.has(key)) return { status: 409, body: { message: `key ${key} already processed` } };
    seen.set(key, req.body);
    return { status: 202, body: { accepted: key } };
  });
  return { ...http, deliveries: () => [...seen].map(([key, body]) => ({ key, body })) };
}

/** The ActionFailed a run rejects with (anything else fails the test). */
export async function actionFailure(run: Promise<unknown>): Promise<ActionFailed> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ActionFailed)) throw new Error(`expected an ActionFailed, got ${String(err)}`);
  return err;
}
