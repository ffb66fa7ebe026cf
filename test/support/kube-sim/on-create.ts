import type { KubeObject } from './types.js';
import { ensurePath, isObject } from './util.js';

/**
 * What registry strategies add on create. A Job without manualSelector gets a selector on its own uid and the
 * matching template labels; a Job without labels takes its template's labels (defaulting runs first).
 */
export function beforeCreate(obj: KubeObject): void {
  if (obj.apiVersion !== 'batch/v1' || obj.kind !== 'Job') return;
  const spec = ensurePath(obj, ['spec']);
  const template = ensurePath(spec, ['template']);
  const tmeta = ensurePath(template, ['metadata']);
  const tlabels = isObject(tmeta.labels) ? (tmeta.labels as Record<string, string>) : {};
  if (obj.metadata.labels === undefined || Object.keys(obj.metadata.labels).length === 0) {
    if (Object.keys(tlabels).length > 0) obj.metadata.labels = { ...tlabels };
  }
  if (spec.manualSelector === true) return;
  const uid = obj.metadata.uid ?? '';
  const name = obj.metadata.name ?? '';
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  tmeta.labels = {
    ...tlabels,
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
}
