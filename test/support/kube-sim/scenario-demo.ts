import type { KubeSim } from './index.js';

/**
 * The demo cluster: ml-prod/fraud-scorer (3 replicas, app=fraud-scorer) rolled out twice, 1.4.0 then 1.5.0 and
 * now complete at revision 2, with both ReplicaSets, and the CronJob retrain-fraud-scorer.
 */
export function scenarioDemo(sim: KubeSim): void {
  sim.seed.namespace('ml-prod');
  sim.seed.deployment({
    namespace: 'ml-prod',
    name: 'fraud-scorer',
    replicas: 3,
    labels: { app: 'fraud-scorer' },
    revisions: [
      {
        image: 'registry.example/fraud-scorer:1.4.0',
        annotations: { 'kubernetes.io/change-cause': 'release 1.4.0' },
      },
      {
        image: 'registry.example/fraud-scorer:1.5.0',
        annotations: { 'kubernetes.io/change-cause': 'release 1.5.0' },
      },
    ],
  });
  sim.seed.cronJob({
    namespace: 'ml-prod',
    name: 'retrain-fraud-scorer',
    image: 'registry.example/fraud-trainer:2.1.0',
    schedule: '0 3 * * *',
    args: ['--model', 'fraud-scorer'],
    labels: { app: 'retrain-fraud-scorer', model: 'fraud-scorer' },
    jobTemplate: { labels: { model: 'fraud-scorer' }, annotations: { 'example.org/owner': 'ml-platform' } },
  });
}
