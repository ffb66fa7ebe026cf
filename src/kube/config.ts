import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { SalveError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Tracer } from '../observability/tracing.js';
import { createApiKubeClient } from './client.js';
import type { HeadInformerSettings } from './head-informer.js';
import type { KubeClient } from './port.js';
import { createUnconfiguredKubeClient } from './unconfigured.js';

export type KubeClientConfig = {
  /** SALVE_KUBECONFIG, else KUBECONFIG (a path, or several joined like $PATH: the first that exists wins). */
  kubeconfig?: string;
  /** A context of that kubeconfig; default: its current-context. */
  context?: string;
  /** The home directory, for ~/.kube/config. */
  homeDir?: string;
  /** KUBERNETES_SERVICE_HOST / _PORT: set inside a pod, where the service account is used. */
  serviceHost?: string;
  servicePort?: string;
  /** Where the service account files live; only tests change it. */
  serviceAccountDir?: string;
  requestTimeoutMs?: number;
  /** Back-off and watch timeouts of the owner-chain informers (tests shorten them). */
  informers?: Partial<HeadInformerSettings>;
  log: Logger;
  /** Traces each call and carries its context on each request; default: not traced. */
  tracer?: Tracer;
};

const defaultServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

function firstExisting(paths: readonly string[]): string | undefined {
  return paths.find((path) => path !== '' && existsSync(path));
}

function inClusterConfig(host: string, port: string, dir: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  const server = host.includes(':') ? `https://[${host}]:${port}` : `https://${host}:${port}`;
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'in-cluster', server, caFile: join(dir, 'ca.crt'), skipTLSVerify: false }],
    users: [
      {
        name: 'service-account',
        authProvider: { name: 'tokenFile', config: { tokenFile: join(dir, 'token') } },
      },
    ],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'service-account' }],
    currentContext: 'in-cluster',
  });
  return kubeConfig;
}

function fromFile(path: string, context: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromFile(path);
  } catch (cause) {
    throw new SalveError('SALVE_CONFIG_INVALID', `kubeconfig ${path} could not be read`, { cause });
  }
  if (context !== undefined) {
    if (kubeConfig.getContextObject(context) === null) {
      throw new SalveError('SALVE_CONFIG_INVALID', `kubeconfig ${path} has no context ${context}`);
    }
    kubeConfig.setCurrentContext(context);
  }
  return kubeConfig;
}

/**
 * Builds the KubeClient from a kubeconfig file (explicit path, then ~/.kube/config) or, inside a pod, the
 * service account. With none of these it returns a client whose every call fails as
 * SALVE_KUBE_NOT_CONFIGURED and whose `configured` is false, so /readyz can say so. A kubeconfig that exists
 * but cannot be used throws SALVE_CONFIG_INVALID: a broken explicit setting must stop startup.
 */
export function createKubeClient(config: KubeClientConfig): KubeClient {
  const candidates = [
    ...(config.kubeconfig?.split(delimiter) ?? []),
    ...(config.homeDir === undefined ? [] : [join(config.homeDir, '.kube', 'config')]),
  ];
  const path = firstExisting(candidates);
  let kubeConfig: KubeConfig;
  let origin: string;
  if (path !== undefined) {
    kubeConfig = fromFile(path, config.context);
    origin = `kubeconfig ${path}, context ${kubeConfig.getCurrentContext()}`;
  } else if (config.serviceHost !== undefined && config.serviceHost !== '') {
    kubeConfig = inClusterConfig(
      config.serviceHost,
      config.servicePort ?? '443',
      config.serviceAccountDir ?? defaultServiceAccountDir,
    );
    origin = 'in-cluster service account';
  } else {
    const reason =
      config.kubeconfig === undefined
        ? 'no kubeconfig, no ~/.kube/config and not running in a pod'
        : `kubeconfig ${config.kubeconfig} not found and not running in a pod`;
    config.log.warn({ kubeconfig: config.kubeconfig }, 'no Kubernetes cluster configured');
    return createUnconfiguredKubeClient(reason);
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) {
    const reason = `${origin} names no cluster`;
    config.log.warn({ origin }, 'no Kubernetes cluster configured');
    return createUnconfiguredKubeClient(reason);
  }
  const description = `${origin}, server ${cluster.server}`;
  config.log.info({ kube: description }, 'Kubernetes client configured');
  return createApiKubeClient(kubeConfig, {
    description,
    ...(config.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: config.requestTimeoutMs }),
    ...(config.informers === undefined ? {} : { informers: config.informers }),
    ...(config.tracer === undefined ? {} : { tracer: config.tracer }),
  });
}
