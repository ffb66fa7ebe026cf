import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { retrainCronjob } from '../../src/actions/retrain-cronjob/action.js';
import { jobNameFor } from '../../src/actions/retrain-cronjob/job-from-cronjob.js';
import type { TargetRef } from '../../src/actions/types.js';
import { type KubeActionHarness, startKubeActionHarness } from '../support/kube-action-harness.js';

const ns = 'ml-prod';
const scorer: TargetRef = { kind: 'Deployment', namespace: ns, name: 'scorer' };
const jobs = (h: KubeActionHarness) => h.sim.objects.list('batch/v1', 'Job', ns);

describe('retrain.cronjob (kubectl create job --from=cronjob)', () => {
  let h: KubeActionHarness;
  beforeEach(async () => {
    h = await startKubeActionHarness();
    h.sim.seed.cronJob({
      namespace: ns,
      name: 'retrain-scorer',
      image: 'trainer:1',
      jobTemplate: { labels: { team: 'ml' }, annotations: { 'example.com/why': 'nightly' } },
    });
  });
  afterEach(() => h.close());

  it('creates a Job with the fields kubectl sets, named after the heal step', async () => {
    const cronJob = h.sim.objects.get('batch/v1', 'CronJob', ns, 'retrain-scorer');
    const result = await retrainCronjob.run(h.context(scorer), { cronJob: 'retrain-scorer' });
    const jobName = jobNameFor('retrain-scorer', 'heal-0001', 1);
    expect(result).toMatchObject({
      status: 'changed',
      detail: `created job ${jobName} from CronJob ml-prod/retrain-scorer`,
      data: { cronJob: 'retrain-scorer', jobName },
    });
    const [job] = jobs(h);
    expect(job?.metadata.name).toBe(jobName);
    expect(job?.metadata.annotations).toMatchObject({
      'cronjob.kubernetes.io/instantiate': 'manual',
      'example.com/why': 'nightly',
      'salve.dev/created-for': 'heal-0001/1',
    });
    expect(job?.metadata.labels).toMatchObject({ team: 'ml' });
    expect(job?.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        name: 'retrain-scorer',
        uid: cronJob?.metadata.uid,
        controller: true,
      },
    ]);
    // The API server adds job-name and controller-uid labels to the pod template; the pod spec is verbatim.
    type WithTemplate = {
      jobTemplate?: { spec: { template: { spec: unknown } } };
      template?: { spec: unknown };
    };
    const cronJobSpec = cronJob?.spec as WithTemplate | undefined;
    expect((job?.spec as WithTemplate | undefined)?.template?.spec).toEqual(
      cronJobSpec?.jobTemplate?.spec.template.spec,
    );
  });

  it('finds its own Job on a second run of the same step', async () => {
    await retrainCronjob.run(h.context(scorer), { cronJob: 'retrain-scorer' });
    const again = await retrainCronjob.run(h.context(scorer, { attempt: 2 }), { cronJob: 'retrain-scorer' });
    expect(again.status).toBe('unchanged');
    expect(again.detail).toMatch(/^job retrain-scorer-salve-[0-9a-f]{8} already exists$/);
    expect(jobs(h)).toHaveLength(1);
  });

  it('treats 409 AlreadyExists on create as its own Job already there', async () => {
    await retrainCronjob.run(h.context(scorer), { cronJob: 'retrain-scorer' });
    // As if a concurrent attempt created the Job between our look-up and our create.
    h.sim.faults.failNext({ method: 'GET', path: /\/jobs\// }, 404, 1, 'NotFound');
    const before = h.sim.requests.length;
    const racing = await retrainCronjob.run(h.context(scorer, { attempt: 2 }), { cronJob: 'retrain-scorer' });
    expect(racing.status).toBe('unchanged');
    const create = h.sim.requests.slice(before).find((r) => r.method === 'POST' && r.path.endsWith('/jobs'));
    expect(create?.status).toBe(409);
    expect(jobs(h)).toHaveLength(1);
  });

  it('does not start another Job while one of the CronJob is still running', async () => {
    await retrainCronjob.run(h.context(scorer), { cronJob: 'retrain-scorer' });
    h.sim.tick();
    const first = jobs(h)[0];
    expect((first?.status as { active?: number } | undefined)?.active).toBeGreaterThan(0);
    const other = await retrainCronjob.run(h.context(scorer, { id: 'heal-0002' }), {
      cronJob: 'retrain-scorer',
    });
    expect(other).toMatchObject({
      status: 'unchanged',
      data: { runningJob: first?.metadata.name, started: false },
    });
    expect(jobs(h)).toHaveLength(1);
    h.sim.completeJob(ns, first?.metadata.name ?? '');
    const later = await retrainCronjob.run(h.context(scorer, { id: 'heal-0002' }), {
      cronJob: 'retrain-scorer',
    });
    expect(later.status).toBe('changed');
    expect(jobs(h)).toHaveLength(2);
  });

  it('accepts the CronJob itself as the target', async () => {
    const target = { kind: 'CronJob', namespace: ns, name: 'retrain-scorer' };
    const result = await retrainCronjob.run(h.context(target), {});
    expect(result.status).toBe('changed');
  });

  it('records a CreateJob Event on the CronJob naming the Job', async () => {
    const result = await retrainCronjob.run(h.context(scorer), { cronJob: 'retrain-scorer' });
    const events = h.eventsAbout(ns, 'CronJob', 'retrain-scorer');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'CreateJob',
      related: { kind: 'Job', name: result.data?.jobName },
    });
  });

  it('reports a missing CronJob as SALVE_KUBE_NOT_FOUND, not retryable', async () => {
    await expect(retrainCronjob.run(h.context(scorer), { cronJob: 'retrain-nothing' })).rejects.toMatchObject(
      {
        code: 'SALVE_KUBE_NOT_FOUND',
        retryable: false,
      },
    );
  });
});
