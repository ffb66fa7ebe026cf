import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceDef } from './resources.js';
import { apiVersionOf } from './resources.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { ObjectStore, StoreEvent } from './store.js';
import { toTable } from './table.js';
import type { KubeObject } from './types.js';
import { isStoredAs, listView, toView } from './views.js';

export type WatchRequest = {
  store: ObjectStore;
  r: ResourceDef;
  namespace: string;
  query: Record<string, string>;
  req: IncomingMessage;
  res: ServerResponse;
  /** Open watches register their closer here so the simulator can end them (close(), closeWatches()). */
  open: Set<() => void>;
  /** Objects as meta.k8s.io/v1 Tables of one row (`kubectl get -w` asks for them). */
  table: boolean;
  now: () => number;
  /** How often a watch with allowWatchBookmarks=true gets a BOOKMARK with the current resourceVersion. */
  bookmarkMs: number;
};

/**
 * A watch stream: one JSON event per line. Without a resourceVersion (or with "0") it starts with ADDED for every
 * current object; with one it replays history after it, or sends a 410 Expired ERROR when history is gone. With a
 * selector, a change that makes an object match is ADDED and one that makes it stop matching is DELETED (carrying
 * the object as it was, at the new resourceVersion), as the watch cache does.
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
  const send = (type: string, object: KubeObject | Record<string, unknown>) => {
    const body =
      w.table && type !== 'ERROR' && type !== 'BOOKMARK'
        ? toTable(r, object, w.now(), query.includeObject)
        : object;
    res.write(`${JSON.stringify({ type, object: body })}\n`);
  };
  const onEvent = (e: StoreEvent) => {
    if (!isStoredAs(r, e.object, ns)) return;
    const view = toView(r, e.object);
    const now = visible(view);
    if (e.type !== 'MODIFIED' || e.prev === undefined) {
      if (now) send(e.type, view);
      return;
    }
    const before = toView(r, e.prev);
    const was = visible(before);
    if (now) send(was ? 'MODIFIED' : 'ADDED', view);
    else if (was)
      send('DELETED', {
        ...before,
        metadata: { ...before.metadata, resourceVersion: view.metadata.resourceVersion },
      });
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
  const timers: NodeJS.Timeout[] = [];
  const close = () => {
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    w.open.delete(close);
    if (!res.writableEnded) res.end();
  };
  w.open.add(close);
  const timeout = Number(query.timeoutSeconds);
  if (Number.isFinite(timeout) && timeout > 0) timers.push(setTimeout(close, timeout * 1000));
  if (query.allowWatchBookmarks === 'true' && w.bookmarkMs > 0) {
    const bookmark = () =>
      send('BOOKMARK', {
        kind: r.kind,
        apiVersion: apiVersionOf(r),
        metadata: { resourceVersion: store.resourceVersion },
      });
    timers.push(setInterval(bookmark, w.bookmarkMs));
  }
  w.req.on('close', close);
  res.on('close', close);
}
