import { matchesLabels, selectorRequirements } from './selectors.js';
import { apiErrors, type FieldError } from './status.js';
import type { KubeObject } from './types.js';
import { deepEqual, getPath, isObject } from './util.js';
import { validateEvent, validateLease } from './validate-events.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

// Names that end up in a label value (job-name) or get a suffix appended by a controller are shorter.
const MAX_NAME: Record<string, number> = { Job: 63, CronJob: 52, Namespace: 63 };

function validateMeta(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = obj.metadata.name ?? '';
  const pattern = obj.kind === 'Namespace' ? DNS_LABEL : DNS_SUBDOMAIN;
  if (name === '')
    errs.push({ type: 'Required', field: 'metadata.name', detail: 'name or generateName is required' });
  else if (!pattern.test(name) || name.length > 253) {
    errs.push({
      type: 'Invalid',
      field: 'metadata.name',
      value: name,
      detail: `a lowercase RFC 1123 ${obj.kind === 'Namespace' ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    });
  }
  const max = MAX_NAME[obj.kind];
  if (max !== undefined && name.length > max) {
    errs.push({
      type: 'Invalid',
      field: 'metadata.name',
      value: name,
      detail: `must be no more than ${max} characters`,
    });
  }
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) {
    if (!QUALIFIED_NAME.test(k) || k.length > 316) {
      errs.push({
        type: 'Invalid',
        field: 'metadata.labels',
        value: k,
        detail:
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
      });
    }
    if (typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63) {
      errs.push({
        type: 'Invalid',
        field: 'metadata.labels',
        value: v,
        detail:
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters)",
      });
    }
  }
  for (const [k, v] of Object.entries(obj.metadata.annotations ?? {})) {
    if (!QUALIFIED_NAME.test(k))
      errs.push({
        type: 'Invalid',
        field: 'metadata.annotations',
        value: k,
        detail: 'name part must consist of alphanumeric characters',
      });
    if (typeof v !== 'string')
      errs.push({
        type: 'Invalid',
        field: `metadata.annotations[${k}]`,
        value: v,
        detail: 'must be a string',
      });
  }
  return errs;
}

function validatePodTemplate(template: unknown, field: string, restartPolicies?: string[]): FieldError[] {
  const errs: FieldError[] = [];
  const containers = getPath(template, ['spec', 'containers']);
  if (!Array.isArray(containers) || containers.length === 0) {
    errs.push({ type: 'Required', field: `${field}.spec.containers` });
  } else {
    containers.forEach((c, i) => {
      if (!isObject(c) || typeof c.name !== 'string' || c.name === '')
        errs.push({ type: 'Required', field: `${field}.spec.containers[${i}].name` });
      if (!isObject(c) || typeof c.image !== 'string' || c.image === '')
        errs.push({ type: 'Required', field: `${field}.spec.containers[${i}].image` });
    });
  }
  const policy = getPath(template, ['spec', 'restartPolicy']);
  if (restartPolicies !== undefined && !restartPolicies.includes(String(policy))) {
    errs.push({
      type: 'NotSupported',
      field: `${field}.spec.restartPolicy`,
      value: policy,
      detail: `supported values: ${restartPolicies.map((p) => `"${p}"`).join(', ')}`,
    });
  }
  return errs;
}

function validateWorkload(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const selector = getPath(obj, ['spec', 'selector']);
  const template = getPath(obj, ['spec', 'template']);
  const reqs = selectorRequirements(selector);
  if (!isObject(selector)) errs.push({ type: 'Required', field: 'spec.selector' });
  else if (reqs.length === 0)
    errs.push({
      type: 'Invalid',
      field: 'spec.selector',
      value: selector,
      detail: `empty selector is invalid for ${obj.kind.toLowerCase()}`,
    });
  else if (
    !matchesLabels(reqs, getPath(template, ['metadata', 'labels']) as Record<string, string> | undefined)
  ) {
    errs.push({
      type: 'Invalid',
      field: 'spec.template.metadata.labels',
      value: getPath(template, ['metadata', 'labels']),
      detail: '`selector` does not match template `labels`',
    });
  }
  const replicas = getPath(obj, ['spec', 'replicas']);
  if (
    replicas !== undefined &&
    (typeof replicas !== 'number' || replicas < 0 || !Number.isInteger(replicas))
  ) {
    errs.push({
      type: 'Invalid',
      field: 'spec.replicas',
      value: replicas,
      detail: 'must be greater than or equal to 0',
    });
  }
  errs.push(...validatePodTemplate(template, 'spec.template'));
  if (old !== undefined && !deepEqual(getPath(old, ['spec', 'selector']), selector)) {
    errs.push({ type: 'Invalid', field: 'spec.selector', value: selector, detail: 'field is immutable' });
  }
  return errs;
}

const JOB_RESTART = ['OnFailure', 'Never'];

const BY_KIND: Record<string, (obj: KubeObject, old: KubeObject | undefined) => FieldError[]> = {
  Deployment: validateWorkload,
  ReplicaSet: validateWorkload,
  StatefulSet: validateWorkload,
  DaemonSet: validateWorkload,
  Job: (obj, old) => {
    const errs = validatePodTemplate(getPath(obj, ['spec', 'template']), 'spec.template', JOB_RESTART);
    if (
      old !== undefined &&
      !deepEqual(getPath(old, ['spec', 'template']), getPath(obj, ['spec', 'template']))
    ) {
      errs.push({
        type: 'Invalid',
        field: 'spec.template',
        value: getPath(obj, ['spec', 'template']),
        detail: 'field is immutable',
      });
    }
    return errs;
  },
  CronJob: (obj) => {
    const errs: FieldError[] = [];
    if (typeof getPath(obj, ['spec', 'schedule']) !== 'string')
      errs.push({ type: 'Required', field: 'spec.schedule' });
    errs.push(
      ...validatePodTemplate(
        getPath(obj, ['spec', 'jobTemplate', 'spec', 'template']),
        'spec.jobTemplate.spec.template',
        JOB_RESTART,
      ),
    );
    return errs;
  },
  ControllerRevision: (obj, old) => {
    const errs: FieldError[] = [];
    const revision = obj.revision;
    if (typeof revision !== 'number' || revision < 0)
      errs.push({
        type: 'Invalid',
        field: 'revision',
        value: revision,
        detail: 'must be greater than or equal to 0',
      });
    if (old !== undefined && !deepEqual(old.data, obj.data))
      errs.push({ type: 'Invalid', field: 'data', value: obj.data, detail: 'field is immutable' });
    return errs;
  },
  Event: (obj) => validateEvent(obj),
  Lease: (obj) => validateLease(obj),
};

/** Validation as the registry strategies do it; empty means valid. */
export function validateObject(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  return [...validateMeta(obj), ...(BY_KIND[obj.kind]?.(obj, old) ?? [])];
}

const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;
const MICRO_TIME_FIELDS: Record<string, string[][]> = {
  Event: [['eventTime'], ['series', 'lastObservedTime']],
  Lease: [
    ['spec', 'acquireTime'],
    ['spec', 'renewTime'],
  ],
};

/**
 * metav1.MicroTime fields are parsed with layout 2006-01-02T15:04:05.000000Z07:00 while the body is decoded, so a
 * timestamp with any other number of fractional digits is a 400 before validation even runs.
 */
export function checkDecodable(obj: KubeObject): void {
  for (const path of MICRO_TIME_FIELDS[obj.kind] ?? []) {
    const v = getPath(obj, path);
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || !MICRO_TIME.test(v)) {
      const version = obj.apiVersion.split('/').pop();
      throw apiErrors.badRequest(
        `${obj.kind} in version "${version}" cannot be handled as a ${obj.kind}: parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse ${JSON.stringify(String(v).slice(19))} as ".000000"`,
      );
    }
  }
}
