import { createHash } from 'node:crypto';
import type { CronJob, Job } from '../../kube/port.js';
import { annotationKeys } from '../k8s/target.js';

const maxJobName = 63;
const infix = '-salve-';
const hashLength = 8;

/**
 * A Job name derived from the heal step, so a retry of the step finds its own Job instead of starting a
 * second one: `<cronjob, trimmed>-salve-<8 hex of sha256(healId/step)>`, a DNS-1123 label of at most
 * 63 characters (Job names end up in the `job-name` pod label).
 */
export function jobNameFor(cronJobName: string, healId: string, step: number): string {
  const hash = createHash('sha256').update(`${healId}/${step}`).digest('hex').slice(0, hashLength);
  const room = maxJobName - infix.length - hashLength;
  const prefix = cronJobName
    .slice(0, room)
    .replace(/\./g, '-')
    .replace(/[^a-z0-9]+$/, '');
  return `${prefix === '' ? 'job' : prefix}${infix}${hash}`;
}

/**
 * `kubectl create job NAME --from=cronjob/X`: instantiate annotation overlaid by the template's, the
 * template's labels, its spec verbatim, and a controller ownerReference without blockOwnerDeletion (which
 * would need the cronjobs/finalizers permission). salve adds one annotation naming the heal step.
 */
export function jobFromCronJob(cronJob: CronJob, name: string, mark: string): Job {
  const template = cronJob.spec.jobTemplate;
  const annotations: Record<string, string> = { 'cronjob.kubernetes.io/instantiate': 'manual' };
  Object.assign(annotations, template.metadata?.annotations ?? {});
  annotations[annotationKeys.createdFor] = mark;
  const labels = template.metadata?.labels;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      ...(cronJob.metadata.namespace === undefined ? {} : { namespace: cronJob.metadata.namespace }),
      annotations,
      ...(labels === undefined ? {} : { labels: { ...labels } }),
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: cronJob.metadata.name ?? '',
          uid: cronJob.metadata.uid ?? '',
          controller: true,
        },
      ],
    },
    spec: structuredClone(template.spec),
  };
}
