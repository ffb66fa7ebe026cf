import { apiErrors } from './status.js';
import type { KubeObject } from './types.js';
import { getPath, isObject } from './util.js';

export type LabelRequirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

/** Splits on commas outside parentheses: `a in (x,y),b=c` -> [`a in (x,y)`, `b=c`]. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

const SET_TERM = /^([A-Za-z0-9./_-]+)\s+(in|notin)\s+\(([^)]*)\)$/;
const EQ_TERM = /^([A-Za-z0-9./_-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)$/;
const KEY = /^(!?)\s*([A-Za-z0-9./_-]+)$/;

export function parseLabelSelector(s: string | undefined): LabelRequirement[] {
  if (s === undefined || s.trim() === '') return [];
  return splitTerms(s).map((term) => {
    const set = SET_TERM.exec(term);
    if (set) {
      const values = (set[3] ?? '').split(',').map((v) => v.trim());
      return { key: set[1] ?? '', op: set[2] === 'in' ? 'in' : 'notin', values };
    }
    const eq = EQ_TERM.exec(term);
    if (eq) return { key: eq[1] ?? '', op: eq[2] === '!=' ? 'neq' : 'eq', value: eq[3] ?? '' };
    const key = KEY.exec(term);
    if (key) return { key: key[2] ?? '', op: key[1] === '!' ? 'notexists' : 'exists' };
    throw apiErrors.badRequest(
      `unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`,
    );
  });
}

export function matchesLabels(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'eq':
        return has && v === r.value;
      case 'neq':
        return !has || v !== r.value;
      case 'in':
        return has && r.values.includes(v ?? '');
      case 'notin':
        return !has || !r.values.includes(v ?? '');
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
    return false;
  });
}

/** A LabelSelector object (matchLabels + matchExpressions) as selector-string requirements. */
export function selectorRequirements(sel: unknown): LabelRequirement[] {
  if (!isObject(sel)) return [];
  const out: LabelRequirement[] = [];
  const ml = isObject(sel.matchLabels) ? sel.matchLabels : {};
  for (const [key, value] of Object.entries(ml)) out.push({ key, op: 'eq', value: String(value) });
  const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  for (const e of exprs) {
    if (!isObject(e)) continue;
    const key = String(e.key);
    const values = Array.isArray(e.values) ? e.values.map(String) : [];
    if (e.operator === 'In') out.push({ key, op: 'in', values });
    else if (e.operator === 'NotIn') out.push({ key, op: 'notin', values });
    else if (e.operator === 'Exists') out.push({ key, op: 'exists' });
    else if (e.operator === 'DoesNotExist') out.push({ key, op: 'notexists' });
  }
  return out;
}

/** `app=x,tier=web` for a LabelSelector, as the API server prints it in Scale.status.selector. */
export function selectorString(sel: unknown): string {
  return selectorRequirements(sel)
    .map((r) => {
      if (r.op === 'eq') return `${r.key}=${r.value}`;
      if (r.op === 'in' || r.op === 'notin') return `${r.key} ${r.op} (${r.values.join(',')})`;
      return r.op === 'exists' ? r.key : `!${r.key}`;
    })
    .join(',');
}

export type FieldRequirement = { path: string[]; field: string; op: 'eq' | 'neq'; value: string };

// Field labels each kind supports (anything else is a 400, as on a real server).
const FIELD_LABELS: Record<string, Record<string, string[]>> = {
  '*': { 'metadata.name': ['metadata', 'name'], 'metadata.namespace': ['metadata', 'namespace'] },
  'v1/Event': {
    'involvedObject.kind': ['involvedObject', 'kind'],
    'involvedObject.namespace': ['involvedObject', 'namespace'],
    'involvedObject.name': ['involvedObject', 'name'],
    'involvedObject.uid': ['involvedObject', 'uid'],
    'involvedObject.apiVersion': ['involvedObject', 'apiVersion'],
    reason: ['reason'],
    type: ['type'],
    reportingComponent: ['reportingComponent'],
  },
  'events.k8s.io/v1/Event': {
    'regarding.kind': ['regarding', 'kind'],
    'regarding.namespace': ['regarding', 'namespace'],
    'regarding.name': ['regarding', 'name'],
    'regarding.uid': ['regarding', 'uid'],
    reason: ['reason'],
    type: ['type'],
    reportingController: ['reportingController'],
  },
  'batch/v1/Job': { 'status.successful': ['status', 'succeeded'] },
  // pkg/registry/core/pod/strategy.go PodToSelectableFields.
  'v1/Pod': {
    'spec.nodeName': ['spec', 'nodeName'],
    'spec.restartPolicy': ['spec', 'restartPolicy'],
    'spec.schedulerName': ['spec', 'schedulerName'],
    'spec.serviceAccountName': ['spec', 'serviceAccountName'],
    'spec.hostNetwork': ['spec', 'hostNetwork'],
    'status.phase': ['status', 'phase'],
    'status.podIP': ['status', 'podIP'],
    'status.nominatedNodeName': ['status', 'nominatedNodeName'],
  },
  'v1/Node': { 'spec.unschedulable': ['spec', 'unschedulable'] },
  'apps/v1/ReplicaSet': { 'status.replicas': ['status', 'replicas'] },
};

export function parseFieldSelector(
  s: string | undefined,
  apiVersion: string,
  kind: string,
): FieldRequirement[] {
  if (s === undefined || s.trim() === '') return [];
  const labels = { ...FIELD_LABELS['*'], ...FIELD_LABELS[`${apiVersion}/${kind}`] };
  return s.split(',').map((term) => {
    const m = /^([A-Za-z0-9.]+)\s*(==|=|!=)\s*(.*)$/.exec(term.trim());
    if (!m) throw apiErrors.badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const field = m[1] ?? '';
    const path = labels[field];
    if (path === undefined) throw apiErrors.badRequest(`field label not supported: ${field}`);
    return { path, field, op: m[2] === '!=' ? 'neq' : 'eq', value: m[3] ?? '' };
  });
}

// Boolean fields select as Go formats their zero value.
const FALSE_WHEN_UNSET = new Set(['spec.hostNetwork', 'spec.unschedulable']);

export function matchesFields(reqs: FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => {
    const raw = getPath(obj, r.path);
    const unset = FALSE_WHEN_UNSET.has(r.field) ? 'false' : '';
    const v = raw === undefined || raw === null ? unset : String(raw);
    return r.op === 'eq' ? v === r.value : v !== r.value;
  });
}
