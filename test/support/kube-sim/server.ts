import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { discovery, versionInfo } from './discovery.js';
import { handleResource } from './dispatch.js';
import type { FaultTable } from './faults.js';
import { openapiV3 } from './openapi.js';
import { decodeKubeProtobuf, PROTOBUF_CONTENT_TYPE } from './protobuf/decode.js';
import { parseResourcePath } from './routes.js';
import { ApiError, apiErrors, failure, faultError } from './status.js';
import type { ObjectStore } from './store.js';
import { toTable, wantsTable } from './table.js';
import type { RecordedRequest } from './types.js';
import { serveWatch } from './watch.js';

export type ServerDeps = {
  store: ObjectStore;
  faults: FaultTable;
  requests: RecordedRequest[];
  now: () => number;
  token: string;
  requireAuth: boolean;
  openWatches: Set<() => void>;
  serverAddress: () => string;
  /** BOOKMARK interval for watches that allow bookmarks. */
  bookmarkMs: number;
};

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const url = new URL(req.url ?? '/', 'http://kube-sim');
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname;
  const query = Object.fromEntries(url.searchParams);
  const raw = Buffer.concat(chunks);
  const contentType = req.headers['content-type'];
  let body: unknown;
  let bodyError: ApiError | undefined;
  // kubectl's typed clients (create job, create deployment, ...) post protobuf, as a real server accepts.
  if (raw.length > 0 && contentType?.startsWith(PROTOBUF_CONTENT_TYPE)) {
    try {
      body = decodeKubeProtobuf(raw);
    } catch (err) {
      body = `<protobuf, ${raw.length} bytes>`;
      bodyError = failure(415, 'UnsupportedMediaType', String(err instanceof Error ? err.message : err));
    }
  } else body = parseBody(raw.toString('utf8'));
  const rec: RecordedRequest = {
    method,
    path,
    query,
    contentType,
    accept: req.headers.accept,
    userAgent: req.headers['user-agent'],
    traceparent: req.headers.traceparent as string | undefined,
    body,
    at: deps.now(),
  };
  deps.requests.push(rec);
  const answer = (status: number, body: unknown, headers?: Record<string, string>) => {
    rec.status = status;
    send(res, status, body, headers);
  };
  try {
    const delay = deps.faults.take('delay', method, path);
    if (delay !== undefined) {
      rec.fault = 'delay';
      await sleep(delay.ms ?? 0);
    }
    if (deps.faults.take('drop', method, path) !== undefined) {
      rec.fault = 'drop';
      req.socket.destroy();
      return;
    }
    const fail = deps.faults.take('fail', method, path);
    if (fail !== undefined) {
      rec.fault = 'fail';
      throw faultError(fail.status ?? 500, fail.reason);
    }
    if (deps.requireAuth && req.headers.authorization !== `Bearer ${deps.token}`)
      throw apiErrors.unauthorized();
    if (bodyError !== undefined) throw bodyError;
    if (method === 'GET') {
      if (path === '/version') return answer(200, versionInfo);
      if (path === '/healthz' || path === '/readyz' || path === '/livez') return answer(200, 'ok');
      const doc = discovery(path.replace(/\/$/, ''), deps.serverAddress()) ?? openapiV3(path);
      if (doc !== undefined) return answer(200, doc);
    }
    const route = parseResourcePath(path);
    if (route === undefined) throw apiErrors.pathNotFound();
    const watch = query.watch === 'true' || query.watch === '1';
    if (method === 'GET' && route.name === undefined && watch) {
      rec.status = 200;
      serveWatch({
        store: deps.store,
        r: route.r,
        namespace: route.namespace,
        query,
        req,
        res,
        open: deps.openWatches,
        table: wantsTable(rec.accept),
        now: deps.now,
        bookmarkMs: deps.bookmarkMs,
      });
      return;
    }
    const conflict =
      (method === 'PUT' || method === 'PATCH') && deps.faults.take('conflict', method, path) !== undefined;
    if (conflict) rec.fault = 'conflict';
    const out = handleResource(
      { store: deps.store, now: deps.now },
      { method, ...route, query, contentType: rec.contentType, body: rec.body, forceConflict: conflict },
    );
    const table = method === 'GET' && route.sub === undefined && out.status === 200 && wantsTable(rec.accept);
    answer(out.status, table ? toTable(route.r, out.body, deps.now(), query.includeObject) : out.body);
  } catch (err) {
    const e =
      err instanceof ApiError
        ? err
        : failure(500, 'InternalError', `kube-sim internal error: ${String(err)}`);
    if (!(err instanceof ApiError)) console.error('kube-sim: unexpected error', err);
    if (!res.headersSent) answer(e.body.code, e.body, e.headers);
  }
}

export function createApiServer(deps: ServerDeps): Server {
  return createServer((req, res) => {
    void handle(deps, req, res);
  });
}
