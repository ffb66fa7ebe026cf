import type { FieldError } from './status.js';
import type { KubeObject } from './types.js';
import { getPath, isObject } from './util.js';

const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const text = (v: unknown) => (typeof v === 'string' ? v : '');

function required(errs: FieldError[], field: string, v: string, max: number): void {
  if (v === '') errs.push({ type: 'Required', field });
  else if (v.length > max)
    errs.push({ type: 'Invalid', field, value: '', detail: `can have at most ${max} characters` });
}

/**
 * legacyValidateEvent + ValidateEventCreate (pkg/apis/core/validation/events.go). Field paths are the internal
 * type's (involvedObject, message), as the API server reports them for both event APIs. core/v1 gets only the
 * legacy checks; events.k8s.io/v1 is strict.
 */
export function validateEvent(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const strict = obj.apiVersion === 'events.k8s.io/v1';
  const involved = (strict ? obj.regarding : obj.involvedObject) as { namespace?: string } | undefined;
  const involvedNs = text(involved?.namespace);
  const ns = obj.metadata.namespace ?? '';
  const hasTime = obj.eventTime !== undefined && obj.eventTime !== null;
  const nsError: FieldError = {
    type: 'Invalid',
    field: 'involvedObject.namespace',
    value: involvedNs,
    detail: 'does not match event.namespace',
  };
  if (!hasTime) {
    // An old-style event: its namespace must agree with the object's.
    if (involvedNs === '' ? ns !== '' && ns !== 'default' : ns !== involvedNs) errs.push(nsError);
  } else {
    if (involvedNs === '' && ns !== 'default' && ns !== 'kube-system') errs.push(nsError);
    const controllerField = strict ? 'reportingController' : 'reportingComponent';
    const controller = text(strict ? obj.reportingController : obj.reportingComponent);
    if (controller === '') errs.push({ type: 'Required', field: controllerField });
    else if (!QUALIFIED_NAME.test(controller) || controller.length > 316) {
      errs.push({
        type: 'Invalid',
        field: controllerField,
        value: controller,
        detail: 'must be a qualified name',
      });
    }
    required(errs, 'reportingInstance', text(obj.reportingInstance), 128);
    required(errs, 'action', text(obj.action), 128);
    required(errs, 'reason', text(obj.reason), 128);
    const message = text(strict ? obj.note : obj.message);
    if (message.length > 1024)
      errs.push({ type: 'Invalid', field: 'message', value: '', detail: 'can have at most 1024 characters' });
  }
  if (!strict) return errs;
  if (!hasTime) errs.push({ type: 'Required', field: 'eventTime' });
  if (obj.type !== 'Normal' && obj.type !== 'Warning') {
    errs.push({ type: 'Invalid', field: 'type', value: '', detail: `has invalid value: ${text(obj.type)}` });
  }
  for (const f of [
    'deprecatedFirstTimestamp',
    'deprecatedLastTimestamp',
    'deprecatedCount',
    'deprecatedSource',
  ]) {
    const v = obj[f];
    const empty =
      v === undefined || v === null || v === 0 || (isObject(v) && Object.values(v).every((x) => !x));
    if (!empty) errs.push({ type: 'Invalid', field: f, value: '', detail: 'needs to be unset' });
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
