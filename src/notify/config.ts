import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { SalveError } from '../errors.js';
import type { SecretRef } from '../runtime/secrets.js';
import { type NotifierType, notifierTypes, type Severity, severities } from './types.js';

/** Where a notifier's URL or signing secret comes from: never the value itself in a file that gets committed. */
export type ValueSource = SecretRef | { value: string };

export type NotifierSpec = {
  name: string;
  type: NotifierType;
  url: ValueSource;
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
    url: secretRef,
    secret: secretRef.optional(),
    minSeverity: z.enum(severities).optional(),
  })
  .refine((n) => n.type === 'webhook' || n.secret === undefined, {
    path: ['secret'],
    error: 'only webhook notifiers sign their requests (Slack verifies its incoming webhook URL itself)',
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
    url: n.url,
    secret: n.secret ?? null,
    minSeverity: n.minSeverity ?? null,
  }));
}

export type NotifySettings = { slackWebhookUrl?: string; notifiersFile?: string };

/**
 * The notifiers salve knows: `slack` from SALVE_SLACK_WEBHOOK_URL, and every entry of SALVE_NOTIFIERS_FILE, so that
 * policies can route to different channels (`notify: [slack-ml-oncall]`).
 */
export function loadNotifierSpecs(settings: NotifySettings): NotifierSpec[] {
  const specs: NotifierSpec[] = [];
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
        throw new SalveError(
          'SALVE_CONFIG_INVALID',
          `${source}: notifier "${spec.name}" is already defined by SALVE_SLACK_WEBHOOK_URL`,
        );
      }
      specs.push(spec);
    }
  }
  return specs;
}
