import type { AlertStatus, ReceivedAlert } from '../../alerts/schema.js';
import type { MatchOutcome } from '../../policy/types.js';
import type { IngestAlert, IngestInput } from '../types.js';
import { isPlainData, sameAsPlain } from './plain-data.js';

// How a delivery crosses to the SQLite writer thread (worker-writer.ts and writer-worker.ts). Structured clone
// rebuilds every object of a message in the other thread, and a delivery is hundreds of them, while a string
// crosses as one copy. So a delivery crosses as one string, `packIngest`:
//
//   <length of the head>\n<head: JSON><labels of alert 1><annotations of alert 1><labels of alert 2>...
//
// The head holds the delivery's fields and one row per alert with the lengths of its two texts, which are
// the JSON the store keeps (made here, on the event loop; the writer thread cuts them out, never reads them),
// and each distinct list of match outcomes once: a group's alerts mostly match alike, so the writer thread
// parses one list where it rebuilt ten. Of the labels, the writes read only `alertname` (the alert's reference
// in heals and records: src/store/records.ts), which is in the row. The result comes back cloned: a handful of
// numbers and heal references, which crossed no cheaper as a string when measured.
//
// Only plain data crosses this way (plain-data.ts): a delivery holding anything else crosses by structured
// clone as `ingestForWriter` makes it, which refuses what it always refused (a function, a symbol).

// Every field crosses: a field added to one of these types fails to compile here until the wire carries it.
type Covers<T, K extends keyof T> = [Exclude<keyof T, K>] extends [never] ? true : never;
true satisfies Covers<IngestInput, 'receivedAt' | 'actor' | 'delivery' | 'alerts' | 'dryRun' | 'traces'>;
true satisfies Covers<
  IngestInput['delivery'],
  'receiver' | 'groupKey' | 'externalURL' | 'status' | 'truncatedAlerts'
>;
true satisfies Covers<IngestAlert, 'alert' | 'outcomes' | 'stored'>;
true satisfies Covers<
  ReceivedAlert,
  'fingerprint' | 'status' | 'startsAt' | 'endsAt' | 'generatorURL' | 'labels' | 'annotations'
>;

/** fingerprint, status, startsAt, endsAt, generatorURL, alertname, outcome list, labels' length, annotations' length */
type AlertRow = [string, AlertStatus, string, string | null, string, string | null, number, number, number];
type Head = [
  receivedAt: string,
  actor: string,
  receiver: string,
  groupKey: string,
  externalURL: string,
  status: AlertStatus,
  truncatedAlerts: number,
  dryRun: boolean,
  traces: IngestInput['traces'] | null,
  alerts: AlertRow[],
];

const isText = (value: unknown): value is string => typeof value === 'string';

/** The fields of an alert the writes read, when they are what their types say; null otherwise. */
function alertRow(alert: ReceivedAlert, list: number, labels: string, annotations: string): AlertRow | null {
  const { fingerprint, status, startsAt, endsAt, generatorURL } = alert;
  const { alertname } = alert.labels;
  if (!isText(fingerprint) || !isText(status) || !isText(startsAt) || !isText(generatorURL)) return null;
  if (endsAt !== null && !isText(endsAt)) return null;
  if (alertname !== undefined && !isText(alertname)) return null;
  return [
    fingerprint,
    status,
    startsAt,
    endsAt,
    generatorURL,
    alertname ?? null,
    list,
    labels.length,
    annotations.length,
  ];
}

/**
 * A delivery as one string for the writer thread, or null when it holds anything but plain data (it then
 * crosses by structured clone). Throws what JSON.stringify throws on its labels or annotations (a cycle, a
 * bigint): the store cannot keep them.
 */
export function packIngest(input: IngestInput): string | null {
  const { delivery, traces } = input;
  if (!isText(input.receivedAt) || !isText(input.actor) || typeof input.dryRun !== 'boolean') return null;
  if (!isText(delivery.receiver) || !isText(delivery.groupKey) || !isText(delivery.externalURL)) return null;
  if (!isText(delivery.status) || !Number.isFinite(delivery.truncatedAlerts)) return null;
  if (traces !== undefined && !isPlainData(traces)) return null;
  const rows: AlertRow[] = [];
  const texts: string[] = [];
  const lists: string[] = [];
  let previous: unknown;
  for (const { alert, outcomes } of input.alerts) {
    if (lists.length === 0 || !sameAsPlain(outcomes, previous)) {
      if (!Array.isArray(outcomes) || !isPlainData(outcomes)) return null;
      lists.push(JSON.stringify(outcomes));
      previous = outcomes;
    }
    const labels: unknown = JSON.stringify(alert.labels);
    const annotations: unknown = JSON.stringify(alert.annotations);
    // undefined, not text: labels that are no object; structured clone keeps what the caller sent.
    if (!isText(labels) || !isText(annotations)) return null;
    const row = alertRow(alert, lists.length - 1, labels, annotations);
    if (row === null) return null;
    rows.push(row);
    texts.push(labels, annotations);
  }
  const head: Head = [
    input.receivedAt,
    input.actor,
    delivery.receiver,
    delivery.groupKey,
    delivery.externalURL,
    delivery.status,
    delivery.truncatedAlerts,
    input.dryRun,
    traces ?? null,
    rows,
  ];
  const json = `[${JSON.stringify(head)},[${lists.join(',')}]]`;
  return `${json.length}\n${json}${texts.join('')}`;
}

/** The delivery `packIngest` packed, as the writes read it. */
export function unpackIngest(packed: string): IngestInput {
  const newline = packed.indexOf('\n');
  let at = newline + 1 + Number(packed.slice(0, newline));
  const [head, lists] = JSON.parse(packed.slice(newline + 1, at)) as [Head, MatchOutcome[][]];
  const [receivedAt, actor, receiver, groupKey, externalURL, status, truncatedAlerts, dryRun, traces, rows] =
    head;
  const alerts = rows.map((row): IngestAlert => {
    const [
      fingerprint,
      alertStatus,
      startsAt,
      endsAt,
      generatorURL,
      alertname,
      list,
      labelsLength,
      annLength,
    ] = row;
    const labels = packed.slice(at, at + labelsLength);
    at += labelsLength;
    const annotations = packed.slice(at, at + annLength);
    at += annLength;
    const alert: ReceivedAlert = {
      fingerprint,
      status: alertStatus,
      startsAt,
      endsAt,
      labels: alertname === null ? {} : { alertname },
      annotations: {},
      generatorURL,
    };
    // Alerts with equal outcomes share one list: the writes never change what they are given.
    return { alert, outcomes: lists[list]!, stored: { labels, annotations } };
  });
  if (at !== packed.length) throw new Error(`a packed delivery of ${packed.length} characters ends at ${at}`);
  const delivery = { receiver, groupKey, externalURL, status, truncatedAlerts };
  return { receivedAt, actor, delivery, alerts, dryRun, ...(traces === null ? {} : { traces }) };
}

/**
 * A delivery as it crosses by structured clone, when it is not plain data: labels and annotations as the text
 * the store keeps (a function among them is left out, as on the event loop), of the labels only `alertname`.
 */
export function ingestForWriter(input: IngestInput): IngestInput {
  return {
    ...input,
    alerts: input.alerts.map(({ alert, outcomes }) => {
      const { alertname } = alert.labels;
      const labels: Record<string, string> = alertname === undefined ? {} : { alertname };
      return {
        alert: { ...alert, labels, annotations: {} },
        outcomes,
        stored: { labels: JSON.stringify(alert.labels), annotations: JSON.stringify(alert.annotations) },
      };
    }),
  };
}
