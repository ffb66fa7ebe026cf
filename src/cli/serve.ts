import net from 'node:net';
import closeWithGrace from 'close-with-grace';
import { buildApp } from '../app.js';
import { loadConfig, parseCommandLine } from '../config/load.js';
import { createDeps } from '../deps.js';
import { SalveError } from '../errors.js';
import { createLogger } from '../observability/logger.js';

/**
 * Holds the listen address before anything else opens: a second salve on a busy port must stop at once,
 * before it opens the store (and, on SQLite, hands back the leases of the salve that is running).
 */
function reserve(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    // It holds the address only: a client that connects meanwhile is turned away at once, as by a closed port.
    const probe = net.createServer((socket) => socket.destroy());
    probe.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'address already in use (is another salve running? set SALVE_LISTEN)'
          : err.code === 'EACCES'
            ? 'permission denied'
            : err.message;
      reject(new SalveError('SALVE_LISTEN_FAILED', `cannot listen on ${host}:${port}: ${why}`));
    });
    probe.listen({ host, port, exclusive: true }, () => resolve(probe));
  });
}

const release = (probe: net.Server) => new Promise<void>((resolve) => probe.close(() => resolve()));

export async function serve(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { raw } = parseCommandLine(argv);
  const config = loadConfig(env, raw);
  const { host, port } = config.listen;
  const probe = await reserve(host, port);
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  let deps: Awaited<ReturnType<typeof createDeps>>;
  try {
    deps = await createDeps(config, log);
  } catch (err) {
    await release(probe);
    throw err;
  }
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
  await release(probe);
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close();
    await deps.close();
    throw new SalveError(
      'SALVE_LISTEN_FAILED',
      `cannot listen on ${host}:${port}: ${(err as Error).message}`,
    );
  }
  // Only a salve that serves acts: the engine starts once the port is ours.
  deps.policies.watch();
  deps.engine.start();
  deps.dispatcher.start();
  deps.deferredMatches.start();
  deps.anchor.start();
  deps.storeHealth.start();
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    await app.close();
    await deps.close();
  });
  log.info(
    {
      listen: `${host}:${port}`,
      store: config.store === 'sqlite' ? `sqlite:${config.dataDir}` : 'postgres',
      policies: deps.policies.current().policies.length,
      kube: deps.kube.description,
      dryRun: config.dryRun,
    },
    'salve is serving',
  );
}
