import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { createActionRegistry } from './actions/registry.js';
import { createActionRuntime } from './actions/runtime.js';
import { createAuditAnchor } from './audit/anchor.js';
import { type LoadedAuditKey, loadOrCreateAuditKey } from './audit/key.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config/schema.js';
import { followTokensFile, loadOrCreateTokens } from './config/tokens.js';
import { createAlertmanagerClient } from './engine/alertmanager-client.js';
import { defaultEngineSettings, type EngineDeps, type EngineSettings } from './engine/context.js';
import { createScheduler, type Scheduler } from './engine/scheduler.js';
import { SalveError } from './errors.js';
import type { AppDeps } from './http/app-deps.js';
import { type Authenticator, createAuthenticator } from './http/auth.js';
import { loadConsoleAssets } from './http/console-assets.js';
import { createKubeClient } from './kube/config.js';
import { createOwnerCache, type OwnerCache, type OwnerCacheSettings } from './kube/owner-cache.js';
import type { KubeClient } from './kube/port.js';
import type { DispatcherSettings } from './notify/dispatcher.js';
import { prepareNotify } from './notify/setup.js';
import { slackApprovalWarnings } from './notify/slack/approvers.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { noopTracer, type Tracer } from './observability/tracing.js';
import { createPolicySource } from './policy/source.js';
import { ownerWatchPlan } from './policy/target.js';
import type { PollLoop } from './runtime/poll-loop.js';
import { createDeferredMatches, type DeferredMatchSettings } from './service/deferred-matches.js';
import { type AuditKey, keyedMarker } from './store/audit-chain.js';
import { createStoreAvailability } from './store/availability.js';
import { openPostgresStore } from './store/postgres/index.js';
import { openSqliteStore } from './store/sqlite/index.js';
import type { Store } from './store/types.js';

/** Everything a running salve is made of: what the HTTP layer needs, and the rest of the process. */
export type Deps = AppDeps & {
  /** Tries ownerOf matches the API could not resolve at ingest again (src/service/deferred-matches.ts). */
  deferredMatches: PollLoop;
  engine: Scheduler;
  auditKey: LoadedAuditKey;
  /** Set when salve generated a token on this start: printed once, never logged. */
  generatedToken?: { name: string; token: string; file: string };
  close(): Promise<void>;
};

export type DepsOverrides = Partial<
  Pick<Deps, 'clock' | 'store' | 'registry' | 'metrics' | 'kube' | 'tracer'>
> & {
  engine?: Partial<EngineSettings>;
  notify?: Partial<Omit<DispatcherSettings, 'owner'>>;
  owners?: Partial<OwnerCacheSettings>;
  deferredMatches?: Partial<DeferredMatchSettings>;
  /** Where KUBECONFIG, HOME and KUBERNETES_SERVICE_* come from; default: the process environment. */
  env?: NodeJS.ProcessEnv;
  random?: () => number;
  /** Where the console bundle is; default dist/console. */
  consoleDir?: string;
};

export function openStore(config: Config, clock: Clock, auditKey: AuditKey, log?: Logger): Store {
  if (config.store === 'sqlite')
    return openSqliteStore({
      file: path.join(config.dataDir, 'salve.db'),
      clock,
      auditKey,
      writer: config.sqliteWriter,
    });
  return openPostgresStore({
    url: config.store,
    clock,
    auditKey,
    log: log?.child({ component: 'store' }),
    deliveryDeadlineMs: config.deliveryDeadline,
    startupWaitMs: config.storeWait,
    statements: config.postgresStatements,
  });
}

/** The audit key: generated on first start for one SQLite replica, required with PostgreSQL (see key.ts). */
export function loadAuditKey(config: Config): LoadedAuditKey {
  return loadOrCreateAuditKey(config.auditKeyFile, { generate: config.store === 'sqlite' });
}

/** A key that does not verify the newest sealed record would fork the chain's seals: refuse to start. */
async function checkAuditKey(store: Store, loaded: LoadedAuditKey): Promise<void> {
  const check = await store.checkAuditKey();
  if (check === null || check.ok) return;
  throw new SalveError(
    'SALVE_CONFIG_INVALID',
    `the audit key in ${loaded.file} (key id ${loaded.key.id}) does not verify the newest audit record ` +
      `(#${check.seq}): it is not the key that sealed this chain, or that record was altered. Restore the ` +
      'key that sealed it (every replica must use the same one); `salve audit --verify` with that key names ' +
      'any altered record',
  );
}

/**
 * The tracer: the OpenTelemetry SDK when an OTLP endpoint is set, loaded only then; else the no-op, and no
 * module of the SDK is even read.
 */
async function createTracer(config: Config, owner: string, log: Logger, metrics: Metrics): Promise<Tracer> {
  if (config.tracing === null) return noopTracer;
  const { createOtelTracer } = await import('./runtime/tracing/otel.js');
  const { packageVersion } = await import('./runtime/package-info.js');
  const tracer = createOtelTracer({
    settings: config.tracing,
    instanceId: owner,
    version: packageVersion(),
    log: log.child({ component: 'tracing' }),
    onExport: (outcome, spans) => metrics.traceSpansExported.inc({ outcome }, spans),
  });
  log.info(
    {
      endpoint: config.tracing.endpoint,
      protocol: config.tracing.protocol,
      sampler: config.tracing.sampler.name,
    },
    'traces are exported over OTLP/HTTP',
  );
  return tracer;
}

/** The Kubernetes client the configuration and environment point at (an unconfigured one when none). */
export function kubeFrom(
  config: Pick<Config, 'kubeconfig' | 'kubeContext'>,
  env: NodeJS.ProcessEnv,
  log: Logger,
  tracer: Tracer = noopTracer,
): KubeClient {
  return createKubeClient({
    tracer,
    kubeconfig: config.kubeconfig ?? env.KUBECONFIG,
    context: config.kubeContext,
    homeDir: env.HOME ?? os.homedir(),
    serviceHost: env.KUBERNETES_SERVICE_HOST,
    servicePort: env.KUBERNETES_SERVICE_PORT,
    log: log.child({ component: 'kube' }),
  });
}

/** The owner-chain cache over the client, its failures and syncs logged and counted. */
function ownerCacheFor(
  kube: KubeClient,
  log: Logger,
  metrics: Metrics,
  settings: Partial<OwnerCacheSettings> | undefined,
): OwnerCache {
  const ownersLog = log.child({ component: 'owners' });
  return createOwnerCache({
    kube,
    // Real time: these bound network waits and how long a read is re-used, never a decision.
    now: Date.now,
    ...(settings === undefined ? {} : { settings }),
    onError: (err, where) => {
      metrics.ownerCacheWatchFailures.inc({ kind: where.kind });
      ownersLog.warn(
        { err: err.message, ...where },
        'owner-chain list or watch failed; listing again after a back-off',
      );
    },
    onSynced: (where) => ownersLog.debug(where, 'owner-chain informer listed'),
  });
}

/** The one place adapters are constructed. */
export async function createDeps(config: Config, log: Logger, overrides: DepsOverrides = {}): Promise<Deps> {
  const env = overrides.env ?? process.env;
  const clock = overrides.clock ?? systemClock();
  const metrics = overrides.metrics ?? createMetrics();
  const registry = overrides.registry ?? createActionRegistry();
  let generatedToken: Deps['generatedToken'];
  let auth: Authenticator;
  const warnings: string[] = [];
  if (config.insecureNoAuth) {
    auth = createAuthenticator(null);
  } else {
    const loaded = loadOrCreateTokens(config.tokensFile);
    generatedToken = loaded.generated;
    const tokensLog = log.child({ component: 'tokens' });
    auth = createAuthenticator(
      followTokensFile(config.tokensFile, loaded.tokens, {
        now: () => clock.now().getTime(),
        onReload: (r) =>
          r.ok
            ? tokensLog.info({ tokens: r.tokens }, 'tokens file changed: tokens reloaded')
            : tokensLog.error(
                { err: r.error },
                'tokens file changed but is invalid: the previous tokens stay in force',
              ),
      }),
    );
    if (loaded.warning) warnings.push(loaded.warning);
  }
  warnings.push(...slackApprovalWarnings(config));
  const owner = `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const tracer = overrides.tracer ?? (await createTracer(config, owner, log, metrics));
  const kube = overrides.kube ?? kubeFrom(config, env, log, tracer);
  const owners = ownerCacheFor(kube, log, metrics, overrides.owners);
  const policies = await createPolicySource({
    dir: config.policies,
    registry,
    log: log.child({ component: 'policies' }),
    clock,
    onReload: (result) => {
      metrics.policyReloads.inc({ outcome: result.ok ? 'ok' : 'error' });
      if (!result.ok) metrics.policyReloadErrors.inc();
      metrics.policyLastReloadSuccessful.set(result.ok ? 1 : 0);
      // A new table may point ownerOf at other namespaces: watch what it needs, stop what it no longer does.
      if (result.ok && kube.configured) owners.watch(ownerWatchPlan(policies.current()));
    },
  });
  metrics.policiesLoaded.set(policies.current().policies.length);
  metrics.policyLastReloadSuccessful.set(policies.status().ok ? 1 : 0);
  if (kube.configured) owners.watch(ownerWatchPlan(policies.current()));
  const notify = prepareNotify({ settings: config, env, clock, log });
  const auditKey = loadAuditKey(config);
  if (auditKey.exposed) {
    warnings.push(
      `the audit key ${auditKey.file} can be read by other users: whoever reads it and can write the database can re-seal a tampered audit chain (chmod 600)`,
    );
  }
  const opened = overrides.store ?? openStore(config, clock, auditKey.key, log);
  await opened.migrate();
  await checkAuditKey(opened, auditKey);
  const storeHealth = createStoreAvailability({
    store: opened,
    log: log.child({ component: 'store' }),
    metrics,
  });
  const store = storeHealth.observe(opened);
  // From its first start with a key, salve's chain holds a sealed record: a chain without one was rewritten.
  await store.appendAudit([keyedMarker()]);
  const anchor = createAuditAnchor({
    store,
    clock,
    log: log.child({ component: 'audit' }),
    metrics,
    keyId: auditKey.key.id,
    intervalMs: config.auditCheckpointInterval,
    ...(config.auditCheckpointUrl ? { sinkUrl: config.auditCheckpointUrl } : {}),
  });
  const settings: EngineSettings = {
    ...defaultEngineSettings,
    owner,
    leaseMs: config.leaseSeconds * 1000,
    maxActionsPerHour: config.maxActionsPerHour,
    approvalTimeoutMs: config.approvalTimeout,
    dryRun: config.dryRun,
    publicUrl: config.publicUrl ?? null,
    traceUrl: config.traceUrl ?? null,
    ...overrides.engine,
  };
  const engineDeps: EngineDeps = {
    store,
    clock,
    log: log.child({ component: 'engine' }),
    metrics,
    tracer,
    registry,
    policies,
    kube,
    ...createActionRuntime(env, clock),
    alertmanager: config.alertmanagerUrl ? createAlertmanagerClient(config.alertmanagerUrl) : null,
    settings,
    random: overrides.random,
  };
  // One replica per SQLite file: leases left in it belong to a process that is gone.
  if (store.kind === 'sqlite') await store.releaseLeases(null);
  const engine = createScheduler(engineDeps);
  const deferredMatches = createDeferredMatches({
    store,
    owners,
    policies,
    registry,
    clock,
    log: log.child({ component: 'owners' }),
    metrics,
    onSettled: () => engine.poke(),
    settings: overrides.deferredMatches,
    random: overrides.random,
  });
  const { notifiers, dispatcher } = notify.start({
    store,
    metrics,
    policies,
    owner: settings.owner,
    settings: overrides.notify,
    random: overrides.random,
  });
  return {
    config,
    clock,
    log,
    metrics,
    tracer,
    store,
    storeHealth,
    auth,
    registry,
    policies,
    kube,
    owners,
    deferredMatches,
    engine,
    notifiers,
    dispatcher,
    engineDeps,
    auditKey,
    anchor,
    warnings,
    consoleAssets: loadConsoleAssets(overrides.consoleDir),
    generatedToken,
    async close() {
      await deferredMatches.stop();
      await owners.stop();
      await engine.stop();
      await dispatcher.stop();
      await anchor.stop();
      await storeHealth.stop();
      policies.close();
      await store.close();
      // Last: the spans of the work that just stopped still leave.
      await tracer.shutdown();
    },
  };
}
