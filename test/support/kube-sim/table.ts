import type { ResourceDef } from './resources.js';
import { type Column, POD_TABLES, type Row } from './table-pods.js';
import type { KubeObject } from './types.js';
import { getPath } from './util.js';

const n = (o: KubeObject, ...path: string[]) => Number(getPath(o, path) ?? 0);
const s = (o: KubeObject, ...path: string[]) => String(getPath(o, path) ?? '<none>');
const name = (o: KubeObject) => o.metadata.name ?? '';
const created = (o: KubeObject) => o.metadata.creationTimestamp;

function jobStatus(o: KubeObject): string {
  const conds = (getPath(o, ['status', 'conditions']) ?? []) as Array<{ type: string; status: string }>;
  const done = conds.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  if (done) return done.type;
  return getPath(o, ['spec', 'suspend']) === true ? 'Suspended' : 'Running';
}

function eventCells(o: KubeObject, age: (t: unknown) => string, core: boolean): unknown[] {
  const ref = (core ? o.involvedObject : o.regarding) as { kind?: string; name?: string } | undefined;
  const when = o.eventTime ?? (core ? o.lastTimestamp : o.deprecatedLastTimestamp) ?? created(o);
  return [
    age(when),
    s(o, 'type'),
    s(o, 'reason'),
    `${String(ref?.kind ?? '').toLowerCase()}/${ref?.name ?? ''}`,
    String((core ? o.message : o.note) ?? ''),
  ];
}

const str = (names: string[]): Column[] => names.map((c) => ({ name: c, type: 'string' }));
const EVENT_COLUMNS = str(['Last Seen', 'Type', 'Reason', 'Object', 'Message']);

// The columns `kubectl get` shows for each kind, as the API server's table convertors print them.
const TABLES: Record<string, [Column[], Row]> = {
  Deployment: [
    str(['Name', 'Ready', 'Up-to-date', 'Available', 'Age']),
    (o, age) => [
      name(o),
      `${n(o, 'status', 'readyReplicas')}/${n(o, 'spec', 'replicas')}`,
      n(o, 'status', 'updatedReplicas'),
      n(o, 'status', 'availableReplicas'),
      age(created(o)),
    ],
  ],
  ReplicaSet: [
    str(['Name', 'Desired', 'Current', 'Ready', 'Age']),
    (o, age) => [
      name(o),
      n(o, 'spec', 'replicas'),
      n(o, 'status', 'replicas'),
      n(o, 'status', 'readyReplicas'),
      age(created(o)),
    ],
  ],
  StatefulSet: [
    str(['Name', 'Ready', 'Age']),
    (o, age) => [name(o), `${n(o, 'status', 'readyReplicas')}/${n(o, 'spec', 'replicas')}`, age(created(o))],
  ],
  DaemonSet: [
    str(['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Age']),
    (o, age) => [
      name(o),
      n(o, 'status', 'desiredNumberScheduled'),
      n(o, 'status', 'currentNumberScheduled'),
      n(o, 'status', 'numberReady'),
      n(o, 'status', 'updatedNumberScheduled'),
      n(o, 'status', 'numberAvailable'),
      age(created(o)),
    ],
  ],
  ControllerRevision: [
    str(['Name', 'Controller', 'Revision', 'Age']),
    (o, age) => {
      const ref = o.metadata.ownerReferences?.[0];
      return [
        name(o),
        ref ? `${ref.kind.toLowerCase()}.${ref.apiVersion.split('/')[0]}/${ref.name}` : '<none>',
        n(o, 'revision'),
        age(created(o)),
      ];
    },
  ],
  Job: [
    str(['Name', 'Status', 'Completions', 'Age']),
    (o, age) => [
      name(o),
      jobStatus(o),
      `${n(o, 'status', 'succeeded')}/${n(o, 'spec', 'completions') || 1}`,
      age(created(o)),
    ],
  ],
  CronJob: [
    str(['Name', 'Schedule', 'Suspend', 'Active', 'Last Schedule', 'Age']),
    (o, age) => [
      name(o),
      s(o, 'spec', 'schedule'),
      getPath(o, ['spec', 'suspend']) === true ? 'True' : 'False',
      ((getPath(o, ['status', 'active']) ?? []) as unknown[]).length,
      getPath(o, ['status', 'lastScheduleTime']) ? age(getPath(o, ['status', 'lastScheduleTime'])) : '<none>',
      age(created(o)),
    ],
  ],
  Namespace: [
    str(['Name', 'Status', 'Age']),
    (o, age) => [name(o), s(o, 'status', 'phase'), age(created(o))],
  ],
  Lease: [
    str(['Name', 'Holder', 'Age']),
    (o, age) => [name(o), String(getPath(o, ['spec', 'holderIdentity']) ?? ''), age(created(o))],
  ],
  ...POD_TABLES,
};

/** duration.HumanDuration, as kubectl's AGE column prints it. */
export function humanDuration(ms: number): string {
  const sec = Math.max(0, Math.floor(ms / 1000));
  const min = Math.floor(sec / 60);
  const h = Math.floor(min / 60);
  const d = Math.floor(h / 24);
  if (sec < 120) return `${sec}s`;
  if (min < 10) return sec % 60 === 0 ? `${min}m` : `${min}m${sec % 60}s`;
  if (min < 180) return `${min}m`;
  if (h < 8) return min % 60 === 0 ? `${h}h` : `${h}h${min % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return d < 365 * 2 ? `${d}d` : `${Math.floor(d / 365)}y`;
}

export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',')[0]?.includes('as=Table') ?? false;
}

/** A meta.k8s.io/v1 Table of one object or a list, for `kubectl get` without -o. */
export function toTable(
  r: ResourceDef,
  body: unknown,
  now: number,
  includeObject: string | undefined,
): unknown {
  const isList = Array.isArray((body as { items?: unknown }).items);
  // List items carry no apiVersion/kind; rows with full objects need them back.
  const typed = { apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind };
  const items = (isList ? (body as { items: KubeObject[] }).items : [body as KubeObject]).map(
    (o): KubeObject => ({ ...typed, ...(o as Partial<KubeObject>), metadata: o.metadata }),
  );
  const age = (t: unknown) => (typeof t === 'string' ? humanDuration(now - Date.parse(t)) : '<unknown>');
  const [columns, row] =
    r.kind === 'Event'
      ? [EVENT_COLUMNS, (o: KubeObject) => eventCells(o, age, r.group === '')]
      : (TABLES[r.kind] ?? [str(['Name', 'Age']), (o: KubeObject) => [name(o), age(created(o))]]);
  const meta = isList
    ? (body as { metadata: object }).metadata
    : { resourceVersion: (body as KubeObject).metadata.resourceVersion };
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: columns.map((c, i) => ({
      ...c,
      format: i === 0 && c.name === 'Name' ? 'name' : '',
      description: c.name,
      priority: c.priority ?? 0,
    })),
    rows: items.map((o) => {
      const partial = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
      const object = includeObject === 'None' ? undefined : includeObject === 'Object' ? o : partial;
      return { cells: row(o, age), object };
    }),
  };
}
