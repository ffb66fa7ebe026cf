import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import type { SecretRef } from '../actions/secrets.js';
import { SalveError } from '../errors.js';
import { pagerDutyEnqueueUrl, routingKeyProblem } from './pagerduty/send.js';
import { type NotifierType, notifierTypes, type Severity, severities } from './types.js';

/** Where a notifier's URL or signing secret comes from: never the value itself in a file that gets committed. */
export type ValueSource = SecretRef | { value: string };

export type NotifierSpec = {
  name: string;
  type: NotifierType;
  url: ValueSource;
  /** The notifier's credential: a webhook's signing secret, PagerDuty's routing key. */
  secret: ValueSource | null;
  minSeverity: Severity | null;
};

const secretRef = z.union(
  [
    z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) }),
    z.strictObject({ file: z.string().min(1) }),
  ],
  { error: 'expected { env: NAME } or { file: /path }: the value is a secret, never written here' },
);

const notifierEntry = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'expected a DNS-label style name, e.g. slack-ml-oncall'),
    type: z.enum(notifierTypes),
    /** PagerDuty's has a default: its Events API v2 enqueue URL. */
    url: secretRef.optional(),
    secret: secretRef.optional(),
    routingKey: secretRef.optional(),
    minSeverity: z.enum(severities).optional(),
  })
  .refine((n) => n.type === 'webhook' || n.secret === undefined, {
    path: ['secret'],
    error:
      'only webhook notifiers sign their requests (Slack verifies its incoming webhook URL itself; PagerDuty takes a routingKey)',
  })
  .refine((n) => n.type === 'pagerduty' || n.url !== undefined, { path: ['url'], error: 'is required' })
  .refine((n) => n.type !== 'pagerduty' || n.routingKey !== undefined, {
    path: ['routingKey'],
    error: 'is required: the Events API v2 integration key, as { env: NAME } or { file: /path }',
  })
  .refine((n) => n.type === 'pagerduty' || n.routingKey === undefined, {
    path: ['routingKey'],
    error: 'only pagerduty notifiers take a routing key',
  });

const notifiersFile = z.strictObject({ notifiers: z.array(notifierEntry) });

function formatIssues(source: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const at = issue.path.reduce<string>(
      (acc, key) =>
        typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key),
      '',
    );
    return `${source} ${at || '(root)'}: ${issue.message}`;
  });
}

/** Parses the text of SALVE_NOTIFIERS_FILE; every problem at once, each with its path. */
export function parseNotifiersFile(text: string, source: string): NotifierSpec[] {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (cause) {
    throw new SalveError('SALVE_CONFIG_INVALID', `${source}: not valid YAML`, { cause });
  }
  const result = notifiersFile.safeParse(doc ?? {});
  const problems = result.success ? [] : formatIssues(source, result.error);
  const specs = result.success ? result.data.notifiers : [];
  const seen = new Set<string>();
  specs.forEach((n, i) => {
    if (seen.has(n.name)) problems.push(`${source} notifiers[${i}].name: "${n.name}" is defined twice`);
    seen.add(n.name);
  });
  if (problems.length > 0) {
    throw new SalveError('SALVE_CONFIG_INVALID', `invalid notifiers: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return specs.map((n) => ({
    name: n.name,
    type: n.type,
    url: n.url ?? { value: pagerDutyEnqueueUrl },
    secret: n.secret ?? n.routingKey ?? null,
    minSeverity: n.minSeverity ?? null,
  }));
}

export type NotifySettings = {
  slackWebhookUrl?: string;
  pagerdutyRoutingKey?: string;
  pagerdutyRoutingKeyFile?: string;
  pagerdutyUrl?: string;
  notifiersFile?: string;
};

/** The notifier `pagerduty`, when SALVE_PAGERDUTY_ROUTING_KEY or SALVE_PAGERDUTY_ROUTING_KEY_FILE is set. */
function pagerDutySpec(settings: NotifySettings): NotifierSpec | null {
  const key: ValueSource | undefined = settings.pagerdutyRoutingKey
    ? { value: settings.pagerdutyRoutingKey }
    : settings.pagerdutyRoutingKeyFile
      ? { file: settings.pagerdutyRoutingKeyFile }
      : undefined;
  if (key === undefined) return null;
  return {
    name: 'pagerduty',
    type: 'pagerduty',
    url: { value: settings.pagerdutyUrl ?? pagerDutyEnqueueUrl },
    secret: key,
    minSeverity: null,
  };
}

/** Where a PagerDuty notifier's routing key comes from, in the words of the setting that names it. */
function keySource(spec: NotifierSpec, source: ValueSource): string {
  if ('value' in source) return 'SALVE_PAGERDUTY_ROUTING_KEY';
  if ('env' in source) return `environment variable ${source.env} (notifier ${spec.name})`;
  return `file ${source.file} (notifier ${spec.name})`;
}

/**
 * Checks every PagerDuty routing key now, so that a key cut short or a file not mounted stops the start with
 * its source named (never the key), rather than dead-lettering the first page at 3 a.m.
 */
export function checkRoutingKeys(specs: readonly NotifierSpec[], env: NodeJS.ProcessEnv): void {
  const problems: string[] = [];
  for (const spec of specs) {
    if (spec.type !== 'pagerduty' || spec.secret === null) continue;
    const source = spec.secret;
    let key: string | undefined;
    if ('value' in source) key = source.value;
    else if ('env' in source) key = env[source.env] || undefined;
    else {
      try {
        key = fs.readFileSync(source.file, 'utf8').trim();
      } catch {
        problems.push(`${keySource(spec, source)}: cannot be read`);
        continue;
      }
    }
    if (key === undefined) {
      problems.push(`${keySource(spec, source)}: is not set`);
      continue;
    }
    const problem = routingKeyProblem(key);
    if (problem !== null) problems.push(`${keySource(spec, source)}: the routing key ${problem}`);
  }
  if (problems.length > 0) {
    throw new SalveError('SALVE_CONFIG_INVALID', `invalid PagerDuty routing key: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
}

/**
 * The notifiers salve knows: `slack` from SALVE_SLACK_WEBHOOK_URL, and every entry of SALVE_NOTIFIERS_FILE, so that
 * policies can route to different channels (`notify: [slack-ml-oncall]`).
 */
export function loadNotifierSpecs(settings: NotifySettings): NotifierSpec[] {
  const specs: NotifierSpec[] = [];
  const pagerDuty = pagerDutySpec(settings);
  if (pagerDuty !== null) specs.push(pagerDuty);
  if (settings.slackWebhookUrl) {
    specs.push({
      name: 'slack',
      type: 'slack',
      url: { value: settings.slackWebhookUrl },
      secret: null,
      minSeverity: null,
    });
  }
  if (settings.notifiersFile) {
    const source = `SALVE_NOTIFIERS_FILE ${settings.notifiersFile}`;
    let text: string;
    try {
      text = fs.readFileSync(settings.notifiersFile, 'utf8');
    } catch (cause) {
      throw new SalveError('SALVE_CONFIG_INVALID', `${source}: cannot be read`, { cause });
    }
    for (const spec of parseNotifiersFile(text, source)) {
      if (specs.some((s) => s.name === spec.name)) {
        const by =
          spec.name === 'pagerduty' ? 'SALVE_PAGERDUTY_ROUTING_KEY(_FILE)' : 'SALVE_SLACK_WEBHOOK_URL';
        throw new SalveError(
          'SALVE_CONFIG_INVALID',
          `${source}: notifier "${spec.name}" is already defined by ${by}`,
        );
      }
      specs.push(spec);
    }
  }
  return specs;
}
