#!/usr/bin/env -S "NODE_OPTIONS=--max-semi-space-size=16 ${NODE_OPTIONS}" node
// The line above is how salve starts (the `salve` bin, `npm start` and the image all run this file): V8's young
// generation fixed at 16 MiB semi-spaces, what `npm run bench` measures. Left to itself V8 sizes it from the
// memory it sees: 1 MiB under a 512 MiB limit, where a new delivery leaves 3.5-6 times the survivors to copy and
// a 100,000-alert storm peaked at 435-472 MiB instead of 263-282; 64 MiB on Node.js 24 on a large host (442-444).
// The caller's NODE_OPTIONS come after it, so their --max-semi-space-size wins; `node dist/src/main.js` runs
// without it.
import { createActionRuntime } from './actions/runtime.js';
import { listActions } from './cli/actions.js';
import { audit } from './cli/audit.js';
import { check } from './cli/check.js';
import { serverUrl } from './cli/client.js';
import { fire } from './cli/fire.js';
import { manualHeal } from './cli/heal.js';
import { serve } from './cli/serve.js';
import { testPayload } from './cli/test-payload.js';
import { token } from './cli/token.js';
import { systemClock } from './clock.js';
import { loadConfig, parseCommandLine } from './config/load.js';
import { kubeFrom } from './deps.js';
import { isSalveError } from './errors.js';
import { createLogger } from './observability/logger.js';

const USAGE = `usage: salve <command> [options]

commands:
  serve                      run the webhook receiver and API (the default of npm start)
  check [DIR]                validate policy files; exit 1 with every problem, each with file and path
  test --policies DIR FILE   what would happen for an Alertmanager payload (add --json for JSON)
  audit [--follow] [--verify [--expect SEQ:HEAD]] [--json]
                             print the audit log, follow it, or verify its sealed chain (every broken
                             record; --expect: against a checkpoint salve published)
  stats [--since 30d] [--json]
                             heal effectiveness per policy and step (resolved, escalated, failed, refused,
                             time to resolve) and the most-healed targets, from the configured store
  replay --policies DIR [--since 7d | --from FILE] [--json]
                             backtest a policy table: the recorded alerts (or a file of webhook payloads
                             with their receivedAt, one JSON object a line) in virtual time, with the real
                             matching and guards; which heals would open, actions, refusals by guard, the
                             difference from what happened. Writes nothing, sends nothing
  actions [--json]           the action registry: parameters, example, RBAC needed
  token create --name NAME --scopes alertmanager,operator,viewer
                             make a token: printed once, only its SHA-256 digest goes into the tokens file
  token list | token revoke NAME
                             the tokens in the file (never their secrets); remove one
  fire FILE|EXAMPLE [--server URL]
                             send an Alertmanager payload to a running salve, stamped now (token from
                             SALVE_TOKEN); EXAMPLE: model-error-rate-firing, model-error-rate-resolved
  heal --policy NAME --label k=v ... --reason WHY [--dry-run] [--force] [--idempotency-key K]
       [--server URL]        open a heal by hand on a running salve (token from SALVE_TOKEN)

Every setting is an environment variable and a flag: SALVE_LISTEN / --listen, SALVE_DATA_DIR / --data-dir,
SALVE_POLICIES / --policies, SALVE_STORE / --store, SALVE_TOKENS_FILE / --tokens-file, SALVE_DRY_RUN / --dry-run,
SALVE_LOG_LEVEL / --log-level, SALVE_INSECURE_NO_AUTH / --insecure-no-auth, SALVE_KUBECONFIG / --kubeconfig.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      await serve(rest, process.env);
      return -1;
    case 'check':
      return check(parseCommandLine(rest).positionals, process.env, process.stdout);
    case 'test': {
      const cmd = parseCommandLine(rest, { json: { type: 'boolean' } });
      const config = loadConfig(process.env, cmd.raw);
      const log = createLogger({ level: 'silent' });
      const preview = {
        kube: kubeFrom(config, process.env, log),
        ...createActionRuntime(process.env, systemClock()),
        clock: systemClock(),
        log,
      };
      return testPayload(
        cmd.positionals[0],
        { policies: config.policies, json: Boolean(cmd.extra.json), dryRun: config.dryRun, preview },
        process.stdout,
      );
    }
    case 'audit': {
      const cmd = parseCommandLine(rest, {
        follow: { type: 'boolean', short: 'f' },
        verify: { type: 'boolean' },
        expect: { type: 'string' },
        json: { type: 'boolean' },
      });
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      return audit(cmd, process.env, process.stdout, controller.signal);
    }
    case 'stats': {
      const cmd = parseCommandLine(rest, { since: { type: 'string' }, json: { type: 'boolean' } });
      // Loaded when asked for: every other command starts without the statistics' modules.
      const { stats } = await import('./cli/stats.js');
      return stats(cmd, process.env, process.stdout);
    }
    case 'replay': {
      const cmd = parseCommandLine(rest, {
        since: { type: 'string' },
        from: { type: 'string' },
        json: { type: 'boolean' },
      });
      // Loaded when asked for: every other command starts without the backtest's engine modules.
      const { replay } = await import('./cli/replay.js');
      return replay(cmd, process.env, process.stdout);
    }
    case 'token': {
      const cmd = parseCommandLine(rest, { name: { type: 'string' }, scopes: { type: 'string' } });
      return token(cmd, process.env, process.stdout, process.stderr);
    }
    case 'actions': {
      const cmd = parseCommandLine(rest, { json: { type: 'boolean' } });
      return listActions(Boolean(cmd.extra.json), process.stdout);
    }
    case 'fire': {
      const cmd = parseCommandLine(rest, { server: { type: 'string' } });
      return fire(
        {
          payload: cmd.positionals[0],
          server: serverUrl(cmd.extra.server, process.env),
          token: process.env.SALVE_TOKEN,
        },
        process.stdout,
      );
    }
    case 'heal': {
      const cmd = parseCommandLine(rest, {
        server: { type: 'string' },
        policy: { type: 'string' },
        label: { type: 'string', multiple: true },
        reason: { type: 'string' },
        force: { type: 'boolean' },
        'idempotency-key': { type: 'string' },
      });
      return manualHeal(
        {
          server: serverUrl(cmd.extra.server, process.env),
          token: process.env.SALVE_TOKEN,
          policy: cmd.extra.policy as string | undefined,
          labels: (cmd.extra.label as string[] | undefined) ?? [],
          reason: cmd.extra.reason as string | undefined,
          dryRun: Boolean(cmd.raw.dryRun),
          force: Boolean(cmd.extra.force),
          idempotencyKey: cmd.extra['idempotency-key'] as string | undefined,
        },
        process.stdout,
      );
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (isSalveError(err)) process.stderr.write(`salve: ${err.code}: ${err.message}\n`);
    else process.stderr.write(`salve: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
