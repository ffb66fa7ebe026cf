/**
 * The narrow Kubernetes port actions talk to. Actions never import @kubernetes/client-node;
 * the adapter in this folder implements this interface over it.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the Kubernetes adapter.
export interface KubeClient {}
