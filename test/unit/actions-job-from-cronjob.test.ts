import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cronJobNameOf } from '../../src/actions/retrain-cronjob/action.js';
import { jobFromCronJob, jobNameFor } from '../../src/actions/retrain-cronjob/job-from-cronjob.js';
import { ActionFailed } from '../../src/errors.js';
import type { CronJob } from '../../src/kube/port.js';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const cronJobName = fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,250}[a-z0-9])?$/);

describe('deterministic Job names', () => {
  it('are DNS-1123 labels of at most 63 characters for any CronJob name', () => {
    fc.assert(
      fc.property(cronJobName, fc.string(), fc.nat(20), (name, healId, step) => {
        const job = jobNameFor(name, healId, step);
        expect(job.length).toBeLessThanOrEqual(63);
        expect(job).toMatch(dns1123Label);
      }),
    );
  });

  it('are the same for the same heal step and differ between steps', () => {
    fc.assert(
      fc.property(cronJobName, fc.uuid(), fc.nat(20), (name, healId, step) => {
        expect(jobNameFor(name, healId, step)).toBe(jobNameFor(name, healId, step));
        expect(jobNameFor(name, healId, step)).not.toBe(jobNameFor(name, healId, step + 1));
      }),
    );
  });

  it('keep a short CronJob name readable', () => {
    expect(jobNameFor('retrain-scorer', 'heal-1', 2)).toMatch(/^retrain-scorer-salve-[0-9a-f]{8}$/);
  });
});

describe('Job built from a CronJob (kubectl create job --from)', () => {
  const cronJob: CronJob = {
    metadata: {
      name: 'retrain-scorer',
      namespace: 'ml-prod',
      uid: 'cj-1',
      annotations: { ignored: 'cronjob-level' },
    },
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: {
        metadata: {
          labels: { app: 'retrain' },
          annotations: { 'cronjob.kubernetes.io/instantiate': 'scheduled', team: 'ml' },
        },
        spec: {
          backoffLimit: 2,
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 't', image: 'trainer:1' }] } },
        },
      },
    },
  };

  it('lays the template annotations over the instantiate annotation, copies labels and spec verbatim', () => {
    const job = jobFromCronJob(cronJob, 'retrain-scorer-salve-0123abcd', 'heal-1/2');
    expect(job.metadata.annotations).toEqual({
      'cronjob.kubernetes.io/instantiate': 'scheduled',
      team: 'ml',
      'salve.dev/created-for': 'heal-1/2',
    });
    expect(job.metadata.labels).toEqual({ app: 'retrain' });
    expect(job.spec).toEqual(cronJob.spec.jobTemplate.spec);
    expect(job.spec).not.toBe(cronJob.spec.jobTemplate.spec);
  });

  it('is controlled by the CronJob without blockOwnerDeletion', () => {
    const job = jobFromCronJob(cronJob, 'x', 'h/0');
    expect(job.metadata.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'CronJob', name: 'retrain-scorer', uid: 'cj-1', controller: true },
    ]);
  });

  it('marks the Job as manual when the template has no annotations', () => {
    const bare: CronJob = { ...cronJob, spec: { jobTemplate: { spec: {} } } };
    const job = jobFromCronJob(bare, 'x', 'h/0');
    expect(job.metadata.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
    expect(job.metadata.labels).toBeUndefined();
  });
});

describe('which CronJob a step names', () => {
  const deployment = { kind: 'Deployment', namespace: 'ml-prod', name: 'scorer' };

  it('defaults to the target when the target is a CronJob', () => {
    expect(cronJobNameOf({ kind: 'CronJob', namespace: 'ml-prod', name: 'retrain' }, {})).toBe('retrain');
  });

  it('uses with.cronJob for a workload target', () => {
    expect(cronJobNameOf(deployment, { cronJob: 'retrain-scorer' })).toBe('retrain-scorer');
  });

  it('refuses a workload target without with.cronJob, and a name that is not DNS-1123', () => {
    for (const params of [{}, { cronJob: 'Retrain_Scorer' }]) {
      let caught: unknown;
      try {
        cronJobNameOf(deployment, params);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ActionFailed);
      expect(caught).toMatchObject({ code: 'SALVE_ACTION_REFUSED', retryable: false });
    }
  });
});
