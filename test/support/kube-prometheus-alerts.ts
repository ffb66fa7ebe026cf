import fs from 'node:fs';
import path from 'node:path';
import { kubePrometheusFixturesDir } from './fixtures.js';
import type { KubeObject, KubeSim } from './kube-sim/index.js';

// The stock kube-prometheus alerts of test/fixtures/kube-prometheus as the simulator's state would fire them: what
// the rules test compares with the fixtures, and what a test feeding those alerts resolves them from.

const data = JSON.parse(fs.readFileSync(path.join(kubePrometheusFixturesDir, 'rules.json'), 'utf8')) as {
  alerts: Array<{ alert: string; about: { kind: string; name: string } }>;
};

/** The object an alert is about, read from its labels as rules.json's `about` says. */
export function alertSubject(labels: Record<string, string>): string {
  const about = data.alerts.find((a) => a.alert === labels.alertname)?.about;
  return `${labels.alertname} ${about?.kind} ${labels.namespace}/${labels[about?.name ?? '']}`;
}

type Conds = Array<{ type: string; status: string }>;
type ContainerStatus = { state?: { waiting?: { reason?: string } } };
const st = (o: KubeObject) => (o.status ?? {}) as Record<string, unknown>;
const sp = (o: KubeObject) => (o.spec ?? {}) as Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' ? v : 0);
const waitingReasons = (p: KubeObject) =>
  ((st(p).containerStatuses ?? []) as ContainerStatus[])
    .map((c) => c.state?.waiting?.reason)
    .filter((r) => r !== undefined);

/** The alerts these rules fire for the simulator's state, derived the way kube-state-metrics + the rules would. */
export function firingSubjects(sim: KubeSim): string[] {
  const out: string[] = [];
  const all = (apiVersion: string, kind: string) =>
    ['shop', 'data', 'platform', 'ml'].flatMap((ns) => sim.objects.list(apiVersion, kind, ns));
  for (const p of all('v1', 'Pod')) {
    const at = (alertname: string) =>
      alertSubject({ alertname, namespace: p.metadata.namespace ?? '', pod: p.metadata.name ?? '' });
    const reasons = waitingReasons(p);
    if (reasons.includes('CrashLoopBackOff')) out.push(at('KubePodCrashLooping'));
    if (reasons.some((r) => r !== 'CrashLoopBackOff')) out.push(at('KubeContainerWaiting'));
    const ready = ((st(p).conditions ?? []) as Conds).some((c) => c.type === 'Ready' && c.status === 'True');
    const phase = st(p).phase;
    const notReady = phase === 'Pending' || phase === 'Unknown' || (phase === 'Running' && !ready);
    if (notReady && p.metadata.ownerReferences?.[0]?.kind !== 'Job') out.push(at('KubePodNotReady'));
  }
  for (const d of all('apps/v1', 'Deployment')) {
    const at = (alertname: string) =>
      alertSubject({ alertname, namespace: d.metadata.namespace ?? '', deployment: d.metadata.name ?? '' });
    if (num(sp(d).replicas) > num(st(d).availableReplicas)) out.push(at('KubeDeploymentReplicasMismatch'));
    if (d.metadata.generation !== st(d).observedGeneration) out.push(at('KubeDeploymentGenerationMismatch'));
  }
  for (const s of all('apps/v1', 'StatefulSet')) {
    if (st(s).currentRevision !== st(s).updateRevision && num(sp(s).replicas) !== num(st(s).updatedReplicas))
      out.push(
        alertSubject({
          alertname: 'KubeStatefulSetUpdateNotRolledOut',
          namespace: s.metadata.namespace ?? '',
          statefulset: s.metadata.name ?? '',
        }),
      );
  }
  for (const ds of all('apps/v1', 'DaemonSet')) {
    const s = st(ds);
    const desired = num(s.desiredNumberScheduled);
    if (
      num(s.currentNumberScheduled) !== desired ||
      num(s.numberMisscheduled) !== 0 ||
      num(s.updatedNumberScheduled) !== desired ||
      num(s.numberAvailable) !== desired
    )
      out.push(
        alertSubject({
          alertname: 'KubeDaemonSetRolloutStuck',
          namespace: ds.metadata.namespace ?? '',
          daemonset: ds.metadata.name ?? '',
        }),
      );
  }
  for (const j of all('batch/v1', 'Job')) {
    if (((st(j).conditions ?? []) as Conds).some((c) => c.type === 'Failed' && c.status === 'True'))
      out.push(
        alertSubject({
          alertname: 'KubeJobFailed',
          namespace: j.metadata.namespace ?? '',
          job_name: j.metadata.name ?? '',
        }),
      );
  }
  for (const h of all('autoscaling/v2', 'HorizontalPodAutoscaler')) {
    if (num(st(h).currentReplicas) === num(sp(h).maxReplicas) && sp(h).maxReplicas !== sp(h).minReplicas)
      out.push(
        alertSubject({
          alertname: 'KubeHpaMaxedOut',
          namespace: h.metadata.namespace ?? '',
          horizontalpodautoscaler: h.metadata.name ?? '',
        }),
      );
  }
  return out.sort();
}

type NotifiedAlert = { status: string; labels: Record<string, string>; endsAt: string };
type NotifiedGroup = Record<string, unknown> & { status: string; alerts: NotifiedAlert[] };

/**
 * Alertmanager's side of a test that feeds the fixtures: the groups notified so far, and, at each group_interval,
 * each group again with the alerts whose object no longer is in the state the rule describes marked resolved
 * (send_resolved, the receiver's default). It resolves, never fires: alerts a heal's own changes would raise
 * later (after their rule's `for`) are not invented.
 */
export function alertmanagerResolving(groupIntervalMs: number) {
  const groups = new Map<string, { group: NotifiedGroup; nextAt: number }>();
  return {
    notified(name: string, payload: Record<string, unknown>, at: Date): void {
      groups.set(name, {
        group: structuredClone(payload) as NotifiedGroup,
        nextAt: at.getTime() + groupIntervalMs,
      });
    },
    /**
     * The notifications due now: each group whose group_interval has come round and some of whose alerts stopped
     * firing since it was last sent.
     */
    due(sim: KubeSim, now: Date): Array<{ name: string; body: string }> {
      const firing = new Set(firingSubjects(sim));
      const out: Array<{ name: string; body: string }> = [];
      for (const [name, entry] of groups) {
        if (entry.nextAt > now.getTime()) continue;
        while (entry.nextAt <= now.getTime()) entry.nextAt += groupIntervalMs;
        const { group } = entry;
        let changed = false;
        for (const a of group.alerts) {
          if (a.status !== 'firing' || firing.has(alertSubject(a.labels))) continue;
          a.status = 'resolved';
          a.endsAt = now.toISOString();
          changed = true;
        }
        if (!changed) continue;
        group.status = group.alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved';
        out.push({ name, body: JSON.stringify(group) });
      }
      return out;
    },
  };
}
