import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Heal } from '../../../src/http/api-types.js';
import {
  demoReleasedAgoMs,
  type KubeSim,
  releaseClock,
  scenarioDemo,
  startKubeSim,
} from '../../support/kube-sim/index.js';
import { getJson } from '../../support/requests.js';
import { writeTokensFile } from '../../support/salve-dir.js';
import type { AmAlert } from './alertmanager.js';
import { sumOf } from './prom-text.js';

/** The policy under test: roll back first, so one alert means exactly one PATCH of the Deployment. */
export const rollbackPolicy = `apiVersion: salve/v1
policies:
  - name: e2e-scorer-rollback
    description: Roll the scorer back when its error rate is high
    match:
      - alertname="ModelServingErrorRate"
      - severity=~"critical|page"
    target:
      kind: Deployment
      namespace: "{{ labels.namespace }}"
      name: "{{ labels.deployment }}"
    allow: { namespaces: [ml-prod] }
    steps:
      - action: k8s.rollback
        verify: { rollout: 1m, resolved: 2m }
    guards: { cooldown: 30m, maxPerTarget: "3/1h" }
`;

export type SalveSetup = {
  dir: string;
  tokens: { alertmanager: string; viewer: string };
  /** Environment for `salve serve` (startChildSalve). */
  env: Record<string, string>;
};

/**
 * A data dir with two tokens (alertmanager, viewer) and, unless `policiesDir` names one, a policies dir holding
 * `policy`. Nothing from the machine leaks in: HOME is the data dir.
 */
export function prepareSalve(opts: {
  /** Without one, salve runs with no cluster configured (Kubernetes steps would fail). */
  kubeconfig?: string;
  policy?: string;
  policiesDir?: string;
  dir?: string;
}): SalveSetup {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'salve-e2e-'));
  let policies = opts.policiesDir;
  if (policies === undefined) {
    policies = path.join(dir, 'policies');
    fs.mkdirSync(policies, { recursive: true });
    fs.writeFileSync(path.join(policies, 'policy.yaml'), opts.policy ?? rollbackPolicy);
  }
  const tokens = {
    alertmanager: `am-${randomBytes(16).toString('hex')}`,
    viewer: `viewer-${randomBytes(16).toString('hex')}`,
  };
  writeTokensFile(path.join(dir, 'tokens.yaml'), tokens);
  return {
    dir,
    tokens,
    env: {
      SALVE_DATA_DIR: dir,
      SALVE_POLICIES: policies,
      ...(opts.kubeconfig === undefined ? {} : { SALVE_KUBECONFIG: opts.kubeconfig }),
      HOME: dir,
    },
  };
}

/** The demo cluster (ml-prod/fraud-scorer at revision 2) and a kubeconfig for it. */
export async function startDemoCluster(
  dir: string,
  options: { tickMs?: number; readyPerTick?: number } = {},
): Promise<{ sim: KubeSim; kubeconfig: string }> {
  const clock = releaseClock(demoReleasedAgoMs);
  const sim = await startKubeSim({
    now: clock.now,
    tickMs: options.tickMs ?? 20,
    readyPerTick: options.readyPerTick,
  });
  scenarioDemo(sim);
  clock.present();
  return { sim, kubeconfig: sim.writeKubeconfig(dir, { namespace: 'ml-prod' }) };
}

/** The requests that changed the Deployment (a rollback is one PATCH; Events are POSTs elsewhere). */
export const deploymentPatches = (sim: KubeSim) =>
  sim.mutations().filter((r) => r.method === 'PATCH' && r.path.includes('/deployments/fraud-scorer'));

type PodTemplateView = { spec?: { template?: { spec?: { containers?: Array<{ image?: string }> } } } };

/** The image the Deployment's pod template runs now. */
export function deploymentImage(
  sim: KubeSim,
  namespace = 'ml-prod',
  name = 'fraud-scorer',
): string | undefined {
  const d = sim.objects.get('apps/v1', 'Deployment', namespace, name) as PodTemplateView | undefined;
  return d?.spec?.template?.spec?.containers?.[0]?.image;
}

export const scorerLabels = {
  alertname: 'ModelServingErrorRate',
  severity: 'critical',
  namespace: 'ml-prod',
  deployment: 'fraud-scorer',
  model: 'fraud-scorer',
} as const;

/** Old enough that Alertmanager flushes the group at once instead of after group_wait. */
export function firingAlert(startsAt = new Date(Date.now() - 10 * 60_000).toISOString()): AmAlert {
  return {
    labels: { ...scorerLabels },
    annotations: { summary: 'fraud-scorer 5xx ratio is 7.2% (budget 5%)' },
    startsAt,
  };
}

/** The same alert with endsAt in the past: Alertmanager resolves it and sends the resolved notification. */
export function resolvedAlert(firing: AmAlert): AmAlert {
  return { ...firing, endsAt: new Date(Date.now() - 1_000).toISOString() };
}

export type TimelineRecord = {
  seq: number;
  at: string;
  type: string;
  healId: string | null;
  policy: string | null;
  target: string | null;
  outcome: string | null;
  actor: string;
  data: Record<string, unknown>;
};

export type SalveApi = {
  heals(): Promise<Heal[]>;
  heal(id: string): Promise<{ heal: Heal; timeline: TimelineRecord[] }>;
  audit(query?: Record<string, string>): Promise<TimelineRecord[]>;
  verify(): Promise<{ ok: boolean; records: number; head?: string; reason?: string }>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
};

export function salveApi(url: string, viewerToken: string): SalveApi {
  const get = <T>(p: string): Promise<T> => getJson<T>(url, p, viewerToken);
  return {
    heals: async () => (await get<{ heals: Heal[] }>('/v1/heals')).heals,
    heal: (id) => get(`/v1/heals/${id}`),
    audit: async (query = {}) =>
      (
        await get<{ records: TimelineRecord[] }>(
          `/v1/audit?${new URLSearchParams({ limit: '1000', ...query })}`,
        )
      ).records,
    verify: () => get('/v1/audit/verify'),
    metric: async (name, labels) => sumOf(await (await fetch(`${url}/metrics`)).text(), name, labels),
  };
}
