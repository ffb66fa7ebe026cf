import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  demoReleasedAgoMs,
  KUBE_PROMETHEUS_SEED,
  type KubeSim,
  releaseClock,
  scenarioDemo,
  scenarioKubePrometheus,
  startKubeSim,
} from './index.js';

const USAGE = `usage: npm run kube-sim -- [--port P] [--scenario demo|kube-prometheus] [--kubeconfig PATH] [--namespace NS]
                        [--tick-ms MS] [--ready-per-tick N]`;

const SCENARIOS: Record<string, { apply: (sim: KubeSim) => void; namespace: string; seed?: string }> = {
  demo: { apply: scenarioDemo, namespace: 'ml-prod' },
  'kube-prometheus': { apply: scenarioKubePrometheus, namespace: 'shop', seed: KUBE_PROMETHEUS_SEED },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      scenario: { type: 'string' },
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      'tick-ms': { type: 'string', default: '50' },
      'ready-per-tick': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const scenario = values.scenario === undefined ? undefined : SCENARIOS[values.scenario];
  if (values.scenario !== undefined && scenario === undefined) {
    throw new Error(
      `unknown scenario "${values.scenario}" (known: ${Object.keys(SCENARIOS).join(', ')})\n${USAGE}`,
    );
  }
  const readyPerTick = values['ready-per-tick'] === undefined ? undefined : Number(values['ready-per-tick']);
  const clock = releaseClock(values.scenario === 'demo' ? demoReleasedAgoMs : 0);
  const sim = await startKubeSim({
    now: clock.now,
    port: Number(values.port),
    tickMs: Number(values['tick-ms']),
    ...(readyPerTick === undefined ? {} : { readyPerTick }),
    ...(scenario?.seed === undefined ? {} : { randomSeed: scenario.seed }),
  });
  scenario?.apply(sim);
  clock.present();
  const target = values.kubeconfig;
  const dir = target === undefined ? mkdtempSync(join(tmpdir(), 'kube-sim-')) : dirname(target);
  mkdirSync(dir, { recursive: true });
  const namespace = values.namespace ?? scenario?.namespace;
  const path = sim.writeKubeconfig(dir, {
    ...(namespace === undefined ? {} : { namespace }),
    ...(target === undefined ? {} : { file: basename(target) }),
  });
  console.log(`kube-sim listening on ${sim.url}`);
  console.log(`kubeconfig: ${path}`);
  if (values.scenario === 'demo') {
    console.log(`try: kubectl --kubeconfig ${path} rollout history deployment/fraud-scorer -n ml-prod`);
  }
  const stop = (signal: string) => {
    console.log(`kube-sim: ${signal}, shutting down`);
    void sim.close().then(() => {
      // A kubeconfig we put in our own temp dir dies with us; one written where the user asked stays.
      if (target === undefined) rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
