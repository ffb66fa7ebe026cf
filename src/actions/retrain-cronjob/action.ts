import { ActionFailed } from '../../errors.js';
import { isAlreadyExists } from '../../kube/api-errors.js';
import type { CronJob, Job } from '../../kube/port.js';
import { type EventInput, recordEvent } from '../k8s/events.js';
import { eventRule } from '../k8s/rbac.js';
import { isControlledBy, namespacedName, objectRef } from '../k8s/target.js';
import { changed, healMark, refused, unchanged } from '../step.js';
import type { Action, ActionContext, ActionResult, TargetRef } from '../types.js';
import { jobFromCronJob, jobNameFor } from './job-from-cronjob.js';
import { type RetrainCronjobParams, retrainCronjobParams } from './params.js';

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The CronJob a step names: `with.cronJob`, else the target when the policy targets a CronJob. */
export function cronJobNameOf(target: TargetRef, params: RetrainCronjobParams): string {
  const name = params.cronJob ?? (target.kind === 'CronJob' ? target.name : undefined);
  if (name === undefined) {
    throw refused(`retrain.cronjob needs with.cronJob when the target is a ${target.kind}`);
  }
  if (name.length > 253 || !dns1123Subdomain.test(name)) {
    throw refused(`retrain.cronjob: "${name}" is not a valid CronJob name (DNS-1123)`, { cronJob: name });
  }
  return name;
}

async function findJob(ctx: ActionContext, namespace: string, name: string): Promise<Job | undefined> {
  try {
    return await ctx.kube.getJob(namespace, name);
  } catch (err) {
    if (err instanceof ActionFailed && err.code === 'SALVE_KUBE_NOT_FOUND') return undefined;
    throw err;
  }
}

async function trigger(ctx: ActionContext, params: RetrainCronjobParams): Promise<ActionResult> {
  const { namespace } = namespacedName(ctx.target);
  const cronJobName = cronJobNameOf(ctx.target, params);
  const jobName = jobNameFor(cronJobName, ctx.heal.id, ctx.heal.markStep);
  const facts = { cronJob: cronJobName, jobName };
  const cronJob = await ctx.kube.getCronJob(namespace, cronJobName);
  const ours = await findJob(ctx, namespace, jobName);
  if (ours !== undefined) {
    // The Job is this step's own (its name comes from the heal step): make sure its Event was posted too.
    await recordEvent(
      ctx,
      createJobEvent(
        ctx,
        cronJob,
        ours,
        jobName,
        `created job ${jobName} from CronJob ${namespace}/${cronJobName}`,
      ),
    );
    return unchanged(`job ${jobName} already exists`, facts);
  }
  // A retrain of this CronJob already under way (scheduled or manual) is what this step wants: starting a
  // second one would compete for the same data and accelerators.
  const running = (await ctx.kube.listJobs(namespace)).find(
    (job) => isControlledBy(job.metadata, cronJob.metadata.uid) && (job.status?.active ?? 0) > 0,
  );
  if (running !== undefined) {
    return unchanged(
      `job ${running.metadata.name} of CronJob ${namespace}/${cronJobName} is still running; not starting another`,
      { cronJob: cronJobName, runningJob: running.metadata.name, started: false },
    );
  }
  let created: Job;
  try {
    created = await ctx.kube.createJob(namespace, jobFromCronJob(cronJob, jobName, healMark(ctx)));
  } catch (err) {
    if (isAlreadyExists(err)) return unchanged(`job ${jobName} already exists`, facts);
    throw err;
  }
  const detail = `created job ${jobName} from CronJob ${namespace}/${cronJobName}`;
  await recordEvent(ctx, createJobEvent(ctx, cronJob, created, jobName, detail));
  return changed(detail, { ...facts, jobUid: created.metadata.uid });
}

function createJobEvent(
  ctx: ActionContext,
  cronJob: CronJob,
  job: Job,
  jobName: string,
  note: string,
): EventInput {
  return {
    regarding: objectRef('batch/v1', 'CronJob', cronJob.metadata, ctx.target),
    related: objectRef('batch/v1', 'Job', job.metadata, { ...ctx.target, name: jobName }),
    action: 'CreateJob',
    reason: 'RetrainStarted',
    note,
  };
}

export const retrainCronjob: Action<RetrainCronjobParams> = {
  kind: 'retrain.cronjob',
  summary:
    'Start a retraining Job from a CronJob, like kubectl create job --from=cronjob/NAME (one Job per heal step)',
  params: retrainCronjobParams,
  targetKinds: ['CronJob', 'Deployment', 'StatefulSet', 'DaemonSet'],
  example: { cronJob: 'retrain-scorer' },
  rbac: [
    { apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['get'], why: 'read the CronJob' },
    {
      apiGroups: ['batch'],
      resources: ['jobs'],
      verbs: ['create', 'get', 'list'],
      why: 'create its Job, find Jobs already running',
    },
    eventRule,
  ],
  // The CronJob lives in the target's namespace, which allow.namespaces bounds.
  designators: { cronJob: { allow: 'cronJobs', within: 'namespace' } },

  describe(target: TargetRef, params: RetrainCronjobParams): string {
    const name = params.cronJob ?? (target.kind === 'CronJob' ? target.name : '<with.cronJob missing>');
    return `would create a Job from CronJob ${target.namespace}/${name}`;
  },

  run: trigger,
};
