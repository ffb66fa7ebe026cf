import type { KubeObject } from '../types.js';

/**
 * What the simulated kubelet makes of a pod's containers once it runs them. Scenarios set it per pod or per image
 * (a bad release); everything else is healthy.
 */
export type PodHealth =
  /** Running and ready. */
  | { state: 'healthy' }
  /**
   * The container exits and kubelet backs off: waiting CrashLoopBackOff, lastState terminated. restartCount starts at
   * `restartCount` and grows on the simulator clock with kubelet's back-off (10s doubling to 5m).
   */
  | { state: 'crashLoop'; restartCount?: number; exitCode?: number; reason?: string; message?: string }
  /** Running, but the readiness probe fails: Ready=False, phase Running. */
  | { state: 'notReady'; message?: string }
  /** The container never starts: phase Pending, waiting with `reason` (ImagePullBackOff, CreateContainerConfigError). */
  | { state: 'waiting'; reason: string; message?: string };

export type HealthRules = {
  /** By pod uid: one pod, until it is replaced. */
  pods: Map<string, PodHealth & { since: number }>;
  /** By container image: every pod running it, now and later. */
  images: Map<string, PodHealth>;
};

export function newHealthRules(): HealthRules {
  return { pods: new Map(), images: new Map() };
}

type Container = { name: string; image?: string };

export function containersOf(pod: KubeObject): Container[] {
  return ((pod.spec as { containers?: Container[] } | undefined)?.containers ?? []) as Container[];
}

/** The health that applies to `pod`, and since when (a per-image rule counts from the pod's start). */
export function healthOf(rules: HealthRules, pod: KubeObject): { health: PodHealth; since?: number } {
  const own = rules.pods.get(pod.metadata.uid ?? '');
  if (own !== undefined) return { health: own, since: own.since };
  for (const c of containersOf(pod)) {
    const byImage = c.image === undefined ? undefined : rules.images.get(c.image);
    if (byImage !== undefined) return { health: byImage };
  }
  return { health: { state: 'healthy' } };
}
