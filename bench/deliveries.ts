import { payload } from '../test/support/fixtures.js';

/** One webhook body and the alert group it carries; a group's alerts are the same on every re-delivery. */
export type Delivery = { group: number; body: string };

export type DeliveryStream = {
  next(): Delivery;
  /** `fingerprint/startsAt` of every alert of `group`, as the store keeps them. */
  alertKeys(group: number): string[];
};

export type DeliveryStreamOptions = {
  alertsPerDelivery: number;
  /** 0: every delivery is a new group. 0.9: nine deliveries in ten repeat a recent group. */
  redeliveryRatio: number;
  /** Keeps the streams of separate runs apart. */
  salt: number;
};

// Realistic Alertmanager groups for an ML platform: the first two match the example policies
// (policies/serving.yaml), the other two match nothing. Each group is one alertname over one workload,
// one alert per pod.
const kinds = [
  {
    common: { alertname: 'ModelServingErrorRate', severity: 'critical', namespace: 'ml-prod', env: 'prod' },
    workload: 'scorer',
    model: 'fraud-v',
    summary: 'Scorer 5xx ratio above 5% for 1m',
    runbook: 'https://runbooks.example/ml/scorer-error-rate',
  },
  {
    common: {
      alertname: 'ModelServingLatencyP99',
      severity: 'warning',
      namespace: 'ml-staging',
      env: 'staging',
    },
    workload: 'ranker',
    model: 'ranking-v',
    summary: 'Ranker p99 latency above 250ms for 5m',
    runbook: 'https://runbooks.example/ml/latency',
  },
  {
    common: { alertname: 'KubePodCrashLooping', severity: 'warning', namespace: 'ml-batch', env: 'prod' },
    workload: 'feature-builder',
    model: 'features-v',
    summary: 'Pod is restarting more than once every 5 minutes',
    runbook: 'https://runbooks.example/kubernetes/kubepodcrashlooping',
  },
  {
    common: { alertname: 'ModelFeatureStoreLag', severity: 'critical', namespace: 'ml-feature', env: 'prod' },
    workload: 'feature-sync',
    model: 'features-v',
    summary: 'Feature store replication lag above 10 minutes',
    runbook: 'https://runbooks.example/ml/feature-lag',
  },
] as const;

/** Workloads per kind: 25 scorers, 25 rankers... so a storm opens a few heals and attaches the rest. */
const WORKLOADS = 25;

/**
 * The body of one kind with `@name@` / `@name:i@` placeholders, built once through the same `payload()`
 * helper the webhook tests use; filling it per delivery is string concatenation, so the load generator
 * stays cheap next to the server it drives.
 */
type Token =
  | { kind: 'text'; text: string }
  | { kind: 'pod' | 'fingerprint'; index: number }
  | { kind: 'value'; name: string };

function kindTemplate(kind: (typeof kinds)[number], size: number): Token[] {
  const alerts = Array.from({ length: size }, (_, i) => {
    const pod = `@workload@-7d9f8c6b5-@pod:${i}@`;
    return {
      labels: {
        ...kind.common,
        deployment: '@workload@',
        model: '@model@',
        pod,
        instance: `10.42.@subnet@.${i + 10}:8080`,
        job: 'kubernetes-pods',
        prometheus: 'monitoring/k8s',
      },
      annotations: {
        summary: kind.summary,
        description: `${kind.summary} (pod ${pod}, model @model@).`,
        runbook_url: kind.runbook,
      },
      startsAt: '@startsAt@',
      fingerprint: `@fingerprint:${i}@`,
    };
  });
  const text = JSON.stringify(
    payload(alerts, {
      receiver: 'salve',
      groupLabels: { alertname: kind.common.alertname, deployment: '@workload@' },
      commonLabels: { ...kind.common, deployment: '@workload@', model: '@model@', job: 'kubernetes-pods' },
      commonAnnotations: { summary: kind.summary, runbook_url: kind.runbook },
      groupKey: `{}/{severity=~"critical|warning"}:{alertname="${kind.common.alertname}", deployment="@workload@"}`,
    }),
  );
  // Odd indexes are placeholders, even ones literal text.
  return text.split(/@([a-zA-Z]+(?::\d+)?)@/).map((part, p): Token => {
    if (p % 2 === 0) return { kind: 'text', text: part };
    const [name = '', index = '0'] = part.split(':');
    if (name === 'pod' || name === 'fingerprint') return { kind: name, index: Number(index) };
    return { kind: 'value', name };
  });
}

/** murmur3's finaliser: a bijection on 32-bit integers, so distinct inputs give distinct outputs. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/** 16 hex digits, spread like Alertmanager's hashes; unique per alert because the low half is a bijection. */
function fingerprint(salt: number, group: number, i: number, size: number): string {
  const low = fmix32(group * size + i);
  return hex8(fmix32(low ^ Math.imul(salt, 0x9e3779b9))) + hex8(low);
}

export function createDeliveryStream(options: DeliveryStreamOptions): DeliveryStream {
  const { alertsPerDelivery: size, redeliveryRatio, salt } = options;
  const templates = kinds.map((kind) => kindTemplate(kind, size));
  // A new group is a new incident: its own pods, hence new fingerprints, and its own start time, when it is first
  // sent (a firing alert reaches Alertmanager within an evaluation interval of starting). A re-delivery repeats it.
  const started = new Map<number, string>();
  const startsAt = (group: number): string => {
    let at = started.get(group);
    if (at === undefined) {
      at = new Date().toISOString();
      started.set(group, at);
    }
    return at;
  };
  const fill = (group: number): string => {
    const k = group % kinds.length;
    const kind = kinds[k]!;
    const values: Record<string, string> = {
      workload: `${kind.workload}-${group % WORKLOADS}`,
      model: `${kind.model}${group % WORKLOADS}`,
      subnet: String(group % 250),
      startsAt: startsAt(group),
    };
    let out = '';
    for (const token of templates[k]!) {
      if (token.kind === 'text') out += token.text;
      else if (token.kind === 'value') out += values[token.name];
      else if (token.kind === 'pod') out += (group * size + token.index).toString(36).padStart(5, '0');
      else out += fingerprint(salt, group, token.index, size);
    }
    return out;
  };
  let sent = 0;
  let newest = -1;
  const fresh = 1 - redeliveryRatio;
  return {
    next() {
      const k = sent++;
      // New groups are spread evenly: delivery k opens one when floor(k * fresh) steps up.
      const isNew = newest < 0 || Math.floor((k + 1) * fresh) > Math.floor(k * fresh);
      if (isNew) newest += 1;
      // A re-delivery repeats one of the last eight groups, as group_interval re-sends and HA peers do.
      const group = isNew ? newest : Math.max(0, newest - (k % 8));
      return { group, body: fill(group) };
    },
    alertKeys(group) {
      const at = startsAt(group);
      return Array.from({ length: size }, (_, i) => `${fingerprint(salt, group, i, size)}/${at}`);
    },
  };
}
