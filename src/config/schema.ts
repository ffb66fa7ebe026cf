import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import type { TracingSettings } from '../runtime/tracing/settings.js';
import { checkTraceUrlTemplate } from './tracing.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const boolish = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', ''])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:9095')
  .transform((value, ctx) => {
    const at = value.lastIndexOf(':');
    const host = value.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(value.slice(at + 1));
    if (port > 65535) {
      ctx.addIssue({ code: 'custom', message: 'port must be 0..65535' });
      return z.NEVER;
    }
    return { host, port };
  });

const duration = z.string().transform((value, ctx) => {
  const parsed = parseDuration(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed.ms;
});

const store = z
  .string()
  .refine((v) => v === 'sqlite' || /^postgres(ql)?:\/\//.test(v), 'expected "sqlite" or a postgres:// URL');

/**
 * Every setting has an environment variable (SALVE_LISTEN) and a flag of the same name in kebab-case
 * (--listen). Flags win over the environment.
 */
export const configSchema = z
  .object({
    listen: listen.default({ host: '127.0.0.1', port: 9095 }),
    dataDir: z.string().min(1).default('./data'),
    policies: z.string().min(1).default('./policies'),
    store: store.default('sqlite'),
    tokensFile: z.string().min(1).optional(),
    dryRun: boolish.default(false),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    /** auto: readable lines on a terminal, JSON lines otherwise (a pipe, a file, a container's log). */
    logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
    insecureNoAuth: boolish.default(false),
    kubeconfig: z.string().min(1).optional(),
    kubeContext: z.string().min(1).optional(),
    alertmanagerUrl: z.url().optional(),
    /** Where salve can be reached by people (links in notifications). */
    publicUrl: z.url().optional(),
    /** Where people read a trace: a URL template with `{traceId}` (Tempo, Jaeger, Grafana Explore). */
    traceUrl: z
      .string()
      .superRefine((value, ctx) => {
        const problem = checkTraceUrlTemplate(value);
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    /** Global ceiling on actions per hour, across every policy and target. */
    maxActionsPerHour: z.coerce.number().int().positive().default(30),
    /** How long a heal waits for an approval before it is cancelled. */
    approvalTimeout: duration.default(3_600_000),
    /**
     * How long a replica holds a claimed heal or a target lock without moving it: when a replica dies, its
     * work passes to another one this long after it last claimed it. Longer than any single action takes.
     */
    leaseSeconds: z.coerce.number().int().positive().max(3600).default(30),
    /**
     * A webhook delivery not committed within this long is answered 503, and Alertmanager sends it again: well
     * under Alertmanager's own patience (about 10 s), so a slow store costs a retry, never a lost notification.
     */
    deliveryDeadline: duration
      .refine((ms) => ms >= 100 && ms <= 60_000, 'expected a duration between 100ms and 60s')
      .default(5_000),
    /** At start, how long to wait for a PostgreSQL store that is not reachable yet before giving up. */
    storeWait: duration.default(60_000),
    /**
     * Where SQLite's writes run: `worker`, a thread of their own that owns the write connection (the commits'
     * statements and fsync beside the event loop); `event-loop`, on the event loop (one thread fewer).
     */
    sqliteWriter: z.enum(['worker', 'event-loop']).default('worker'),
    /**
     * How PostgreSQL statements are sent: `prepared`, the ingest path's hot statements named and prepared once
     * per connection; `unnamed`, every statement parsed each time, for a pooler that cannot carry prepared
     * statements between server connections (PgBouncer before 1.21 in `transaction` mode).
     */
    postgresStatements: z.enum(['prepared', 'unnamed']).default('prepared'),
    /** Slack incoming webhook: defines the notifier named `slack`. A secret: never logged. */
    slackWebhookUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Verifies Slack's button clicks (POST /v1/slack/interactions); without it the route answers 404. */
    slackSigningSecret: z.string().min(1).optional(),
    /** Slack user ids allowed to approve or reject, comma-separated; unset: nobody; `*`: anyone who can click. */
    slackApprovers: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .optional(),
    /**
     * An Events API v2 integration key: defines the notifier named `pagerduty`. A secret: never logged. Checked
     * for its 32 characters when notifiers are built (the message names the variable, never the value).
     */
    pagerdutyRoutingKey: z.string().min(1).optional(),
    /** The same, read from a file (a mounted Secret) at every send, so rotating it needs no restart. */
    pagerdutyRoutingKeyFile: z.string().min(1).optional(),
    /** Where PagerDuty events go: its Events API v2 enqueue URL, or a proxy's. */
    pagerdutyUrl: z.url({ protocol: /^https?$/ }).default('https://events.pagerduty.com/v2/enqueue'),
    /** YAML file of named notifiers (Slack channels, webhooks) that policies route to. */
    notifiersFile: z.string().min(1).optional(),
    /** The key that seals the audit chain; generated (0600) on first start with SQLite. Keep it out of the database. */
    auditKeyFile: z.string().min(1).optional(),
    /** Where audit checkpoints (sequence + head) are POSTed as JSON, besides the log and the metrics. */
    auditCheckpointUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** How often salve verifies the audit records added since the last checkpoint and publishes a new one. */
    auditCheckpointInterval: duration.default(60_000),
  })
  .refine((c) => c.pagerdutyRoutingKey === undefined || c.pagerdutyRoutingKeyFile === undefined, {
    path: ['pagerdutyRoutingKeyFile'],
    message:
      'set the routing key once: SALVE_PAGERDUTY_ROUTING_KEY or SALVE_PAGERDUTY_ROUTING_KEY_FILE, not both',
  });

export type Config = z.output<typeof configSchema> & {
  tokensFile: string;
  auditKeyFile: string;
  /** From the standard OTEL_* variables (config/tracing.ts); null: tracing is off. */
  tracing: TracingSettings | null;
};

/** Setting name -> environment variable; the flag is the kebab-case of the setting. */
export const settingEnv = {
  listen: 'SALVE_LISTEN',
  dataDir: 'SALVE_DATA_DIR',
  policies: 'SALVE_POLICIES',
  store: 'SALVE_STORE',
  tokensFile: 'SALVE_TOKENS_FILE',
  dryRun: 'SALVE_DRY_RUN',
  logLevel: 'SALVE_LOG_LEVEL',
  logFormat: 'SALVE_LOG_FORMAT',
  insecureNoAuth: 'SALVE_INSECURE_NO_AUTH',
  kubeconfig: 'SALVE_KUBECONFIG',
  kubeContext: 'SALVE_KUBE_CONTEXT',
  alertmanagerUrl: 'SALVE_ALERTMANAGER_URL',
  publicUrl: 'SALVE_PUBLIC_URL',
  traceUrl: 'SALVE_TRACE_URL',
  maxActionsPerHour: 'SALVE_MAX_ACTIONS_PER_HOUR',
  approvalTimeout: 'SALVE_APPROVAL_TIMEOUT',
  leaseSeconds: 'SALVE_LEASE_SECONDS',
  deliveryDeadline: 'SALVE_DELIVERY_DEADLINE',
  storeWait: 'SALVE_STORE_WAIT',
  sqliteWriter: 'SALVE_SQLITE_WRITER',
  postgresStatements: 'SALVE_POSTGRES_STATEMENTS',
  slackWebhookUrl: 'SALVE_SLACK_WEBHOOK_URL',
  slackSigningSecret: 'SALVE_SLACK_SIGNING_SECRET',
  slackApprovers: 'SALVE_SLACK_APPROVERS',
  pagerdutyRoutingKey: 'SALVE_PAGERDUTY_ROUTING_KEY',
  pagerdutyRoutingKeyFile: 'SALVE_PAGERDUTY_ROUTING_KEY_FILE',
  pagerdutyUrl: 'SALVE_PAGERDUTY_URL',
  notifiersFile: 'SALVE_NOTIFIERS_FILE',
  auditKeyFile: 'SALVE_AUDIT_KEY_FILE',
  auditCheckpointUrl: 'SALVE_AUDIT_CHECKPOINT_URL',
  auditCheckpointInterval: 'SALVE_AUDIT_CHECKPOINT_INTERVAL',
} as const satisfies Record<keyof z.input<typeof configSchema>, string>;

export type SettingName = keyof typeof settingEnv;

export const booleanSettings: ReadonlySet<SettingName> = new Set(['dryRun', 'insecureNoAuth']);
