import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceDef } from './resources.js';
import { apiVersionOf } from './resources.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { ObjectStore, StoreEvent } from './store.js';
import type { KubeObject } from './types.js';
import { isStoredAs, listView, toView } from './views.js';

export type WatchRequest = {
  store: ObjectStore;
  r: ResourceDef;
  namespace: string;
  query: Record<string, string>;
  req: IncomingMessage;
  res: ServerResponse;
  /** Open watches register their closer here so the simulator can end them on close(). */
  open: Set<() => void>;
};

/**
 * A watch stream: one JSON event per line. Without a resourceVersion (or with "0") it starts with ADDED for every
 * current object; with one it replays history after it, or answers 410 Expired when history is gone.
 */
export function serveWatch(w: WatchRequest): void {
  const { store, r, query, res } = w;
  const ns = w.namespace === '' ? undefined : w.namespace;
  // Parse selectors first so a bad selector is a plain 400 before the stream starts.
  const labels = parseLabelSelector(query.labelSelector);
  const fields = parseFieldSelector(query.fieldSelector, apiVersionOf(r), r.kind);
  const visible = (o: KubeObject) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  const send = (type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);
  const onEvent = (e: StoreEvent) => {
    if (!isStoredAs(r, e.object, ns)) return;
    const view = toView(r, e.object);
    if (visible(view)) send(e.type, view);
  };
  const rv = query.resourceVersion;
  if (rv === undefined || rv === '' || rv === '0' || query.sendInitialEvents === 'true') {
    for (const o of listView(store, r, ns)) if (visible(o)) send('ADDED', o);
    if (query.sendInitialEvents === 'true') {
      send('BOOKMARK', {
        kind: r.kind,
        apiVersion: apiVersionOf(r),
        metadata: {
          resourceVersion: store.resourceVersion,
          annotations: { 'k8s.io/initial-events-end': 'true' },
        },
      });
    }
  } else {
    const history = store.since(Number(rv));
    if (history === undefined) {
      send('ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${rv} (${store.resourceVersion})`,
        reason: 'Expired',
        code: 410,
      });
      res.end();
      return;
    }
    for (const e of history) onEvent(e);
  }
  const unsubscribe = store.subscribe(onEvent);
  let timer: NodeJS.Timeout | undefined;
  const close = () => {
    unsubscribe();
    if (timer !== undefined) clearTimeout(timer);
    w.open.delete(close);
    if (!res.writableEnded) res.end();
  };
  w.open.add(close);
  const timeout = Number(query.timeoutSeconds);
  if (Number.isFinite(timeout) && timeout > 0) timer = setTimeout(close, timeout * 1000);
  w.req.on('close', close);
  res.on('close', close);
}
