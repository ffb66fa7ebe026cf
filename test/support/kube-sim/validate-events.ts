import type { FieldError } from './status.js';
import type { KubeObject } from './types.js';
import { getPath, isObject } from './util.js';

const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function maxLen(errs: FieldError[], obj: KubeObject, field: string, max: number, required: boolean): void {
  const v = obj[field];
  if (v === undefined || v === null || v === '') {
    if (required) errs.push({ type: 'Required', field });
    return;
  }
  if (typeof v !== 'string') errs.push({ type: 'Invalid', field, value: v, detail: 'must be a string' });
  else if (v.length > max)
    errs.push({ type: 'TooLong', field, value: v, detail: `may not be more than ${max} bytes` });
}

/** ValidateEventCreate for events.k8s.io/v1 (the "new" event API), as kubernetes.md lists it. */
export function validateEvent(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.eventTime === undefined || obj.eventTime === null)
    errs.push({ type: 'Required', field: 'eventTime' });
  if (obj.type !== 'Normal' && obj.type !== 'Warning') {
    errs.push({
      type: 'NotSupported',
      field: 'type',
      value: obj.type ?? '',
      detail: 'supported values: "Normal", "Warning"',
    });
  }
  const controller = obj.reportingController;
  if (typeof controller !== 'string' || controller === '')
    errs.push({ type: 'Required', field: 'reportingController' });
  else if (!QUALIFIED_NAME.test(controller) || controller.length > 316) {
    errs.push({
      type: 'Invalid',
      field: 'reportingController',
      value: controller,
      detail: 'must be a qualified name',
    });
  }
  maxLen(errs, obj, 'reportingInstance', 128, true);
  maxLen(errs, obj, 'action', 128, true);
  maxLen(errs, obj, 'reason', 128, true);
  maxLen(errs, obj, 'note', 1024, false);
  const regarding = obj.regarding;
  if (!isObject(regarding)) errs.push({ type: 'Required', field: 'regarding' });
  else {
    const ns = regarding.namespace;
    if (ns !== undefined && ns !== '' && ns !== obj.metadata.namespace) {
      errs.push({
        type: 'Invalid',
        field: 'regarding.namespace',
        value: ns,
        detail: 'does not match event.namespace',
      });
    }
  }
  for (const f of [
    'deprecatedSource',
    'deprecatedFirstTimestamp',
    'deprecatedLastTimestamp',
    'deprecatedCount',
  ]) {
    const v = obj[f];
    const empty = v === undefined || v === null || v === 0 || (isObject(v) && Object.keys(v).length === 0);
    if (!empty) errs.push({ type: 'Invalid', field: f, value: v, detail: 'needs to be unset' });
  }
  return errs;
}

export function validateLease(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const duration = getPath(obj, ['spec', 'leaseDurationSeconds']);
  if (duration !== undefined && duration !== null && (typeof duration !== 'number' || duration <= 0)) {
    errs.push({
      type: 'Invalid',
      field: 'spec.leaseDurationSeconds',
      value: duration,
      detail: 'must be greater than 0',
    });
  }
  const transitions = getPath(obj, ['spec', 'leaseTransitions']);
  if (
    transitions !== undefined &&
    transitions !== null &&
    (typeof transitions !== 'number' || transitions < 0)
  ) {
    errs.push({
      type: 'Invalid',
      field: 'spec.leaseTransitions',
      value: transitions,
      detail: 'must be greater than or equal to 0',
    });
  }
  return errs;
}
