import closeWithGrace from 'close-with-grace';
import { buildApp } from '../app.js';
import { loadConfig, parseCommandLine } from '../config/load.js';
import { createDeps } from '../deps.js';
import { createLogger } from '../observability/logger.js';

export async function serve(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { raw } = parseCommandLine(argv);
  const config = loadConfig(env, raw);
  const log = createLogger({ level: config.logLevel });
  const deps = await createDeps(config, log);
  if (deps.generatedToken) {
    // Printed once, on the terminal only: the file keeps just its digest.
    process.stderr.write(
      `\nsalve generated an access token with every scope (stored as a digest in ${deps.generatedToken.file}):\n\n` +
        `    ${deps.generatedToken.token}\n\nKeep it now: it will not be shown again.\n\n`,
    );
  }
  if (config.insecureNoAuth) {
    log.warn(
      { insecureNoAuth: true },
      'AUTHENTICATION IS DISABLED: anyone who can reach this port can trigger heals and read the audit log',
    );
  }
  if (deps.auditKey.generated) {
    log.warn(
      { auditKeyFile: deps.auditKey.file, keyId: deps.auditKey.key.id },
      'generated the audit key: keep a copy outside the data directory (a Secret): without it the audit chain cannot be verified',
    );
  }
  for (const warning of deps.warnings) log.warn(warning);
  const app = await buildApp(deps);
  deps.policies.watch();
  deps.engine.start();
  deps.dispatcher.start();
  deps.anchor.start();
  deps.storeHealth.start();
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    await app.close();
    await deps.close();
  });
  await app.listen({ host: config.listen.host, port: config.listen.port });
  log.info(
    {
      listen: `${config.listen.host}:${config.listen.port}`,
      store: config.store === 'sqlite' ? `sqlite:${config.dataDir}` : 'postgres',
      policies: deps.policies.current().policies.length,
      kube: deps.kube.description,
      dryRun: config.dryRun,
    },
    'salve is serving',
  );
}
