import type { KubeObject } from '../types.js';
import { rfc3339 } from '../util.js';

const KUBELET_VERSION = 'v1.32.0';

/** A worker Node as a kubelet registers it (kind-style names: worker-1, worker-2, ...). */
export function makeNode(index: number, now: number): KubeObject {
  const name = `worker-${index}`;
  const at = rfc3339(now);
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: at,
    lastTransitionTime: at,
    reason,
    message,
  });
  const capacity = { cpu: '4', 'ephemeral-storage': '102400Mi', memory: '16Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {
      podCIDR: `10.244.${index}.0/24`,
      podCIDRs: [`10.244.${index}.0/24`],
      providerID: `kube-sim://${name}`,
    },
    status: {
      capacity,
      allocatable: capacity,
      conditions: [
        cond(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: `172.18.0.${index + 1}` },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: `kube-sim-${name}`,
        systemUUID: `kube-sim-${name}`,
        bootID: `kube-sim-${name}`,
        kernelVersion: '6.1.0-kube-sim',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.24',
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export function isNodeReady(node: KubeObject): boolean {
  const conds = ((node.status as { conditions?: Array<{ type: string; status: string }> } | undefined)
    ?.conditions ?? []) as Array<{ type: string; status: string }>;
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Nodes new pods may land on: ready and not cordoned (spec.unschedulable). */
export function isSchedulable(node: KubeObject): boolean {
  return isNodeReady(node) && (node.spec as { unschedulable?: boolean } | undefined)?.unschedulable !== true;
}

/** The node's InternalIP, which kubelet reports as the pod's hostIP. */
export function nodeIP(node: KubeObject | undefined): string | undefined {
  const addrs = (node?.status as { addresses?: Array<{ type: string; address: string }> } | undefined)
    ?.addresses;
  return addrs?.find((a) => a.type === 'InternalIP')?.address;
}
