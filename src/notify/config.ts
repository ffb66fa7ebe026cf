import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { type SettingName, settingEnv } from '../config/schema.js';
import { SalveError } from '../errors.js';
import type { NotifierKind, NotifierSpec } from './notifier.js';
import { notifierKinds } from './registry.js';
import { severities } from './types.js';

/** Salve's settings as the notifiers read them: the notifiers file, and those defining a built-in notifier. */
export type NotifySettings = Partial<Record<SettingName, unknown>>;

/** Every entry's fields; its type reads the rest (`NotifierKind.fields`). */
const common = (kinds: ReadonlyArray<NotifierKind>) =>
  z.object({
    name: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'expected a DNS-label style name, e.g. slack-ml-oncall'),
    type: z.enum(kinds.map((k) => k.type) as [string, ...string[]]),
    minSeverity: z.enum(severities).optional(),
  });

const notifiersFile = z.strictObject({ notifiers: z.array(z.record(z.string(), z.unknown())) });

type Issue = { path: PropertyKey[]; message: string };

function formatIssue(source: string, issue: Issue): string {
  const at = issue.path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
  return `${source} ${at || '(root)'}: ${issue.message}`;
}

/** One entry: the common fields, then (when its type is known) the type's own, every problem of both. */
function parseEntry(entry: Record<string, unknown>, at: number, kinds: ReadonlyArray<NotifierKind>) {
  const issues: Issue[] = [];
  const prefix = (i: { path: PropertyKey[]; message: string }) => ({
    ...i,
    path: ['notifiers', at, ...i.path],
  });
  const head = common(kinds).safeParse({
    name: entry.name,
    type: entry.type,
    minSeverity: entry.minSeverity,
  });
  if (!head.success) issues.push(...head.error.issues.map(prefix));
  const kind = kinds.find((k) => k.type === entry.type);
  const { name: _name, type: _type, minSeverity: _min, ...rest } = entry;
  const own = kind?.fields.safeParse(rest);
  if (own && !own.success) issues.push(...own.error.issues.map(prefix));
  if (!head.success || !own?.success) return { issues };
  const spec: NotifierSpec = {
    ...own.data,
    name: head.data.name,
    type: head.data.type,
    minSeverity: head.data.minSeverity ?? null,
  };
  return { issues, spec };
}

/** Parses the text of SALVE_NOTIFIERS_FILE; every problem at once, each with its path. */
export function parseNotifiersFile(
  text: string,
  source: string,
  kinds: ReadonlyArray<NotifierKind> = notifierKinds,
): NotifierSpec[] {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (cause) {
    throw new SalveError('SALVE_CONFIG_INVALID', `${source}: not valid YAML`, { cause });
  }
  const file = notifiersFile.safeParse(doc ?? {});
  const issues: Issue[] = file.success ? [] : [...file.error.issues];
  const specs: NotifierSpec[] = [];
  (file.success ? file.data.notifiers : []).forEach((entry, i) => {
    const parsed = parseEntry(entry, i, kinds);
    issues.push(...parsed.issues);
    if (parsed.spec) specs.push(parsed.spec);
  });
  const problems = issues.map((issue) => formatIssue(source, issue));
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
  return specs;
}

/** The notifiers salve's settings define (SALVE_SLACK_WEBHOOK_URL defines `slack`), with what defines each. */
function builtinSpecs(settings: NotifySettings, kinds: ReadonlyArray<NotifierKind>) {
  return kinds.flatMap((kind) => {
    const fields = kind.builtin?.fields(settings);
    if (!kind.builtin || !fields) return [];
    const spec: NotifierSpec = { ...fields, name: kind.builtin.name, type: kind.type, minSeverity: null };
    return [{ spec, by: kind.builtin.settings.map((s) => settingEnv[s]).join(' and ') }];
  });
}

/**
 * The notifiers salve knows: those its settings define, and every entry of SALVE_NOTIFIERS_FILE, so that
 * policies can route to different channels (`notify: [slack-ml-oncall]`).
 */
export function loadNotifierSpecs(
  settings: NotifySettings,
  kinds: ReadonlyArray<NotifierKind> = notifierKinds,
): NotifierSpec[] {
  const builtins = builtinSpecs(settings, kinds);
  const specs = builtins.map((b) => b.spec);
  const path = settings.notifiersFile;
  if (typeof path === 'string' && path !== '') {
    const source = `${settingEnv.notifiersFile} ${path}`;
    let text: string;
    try {
      text = fs.readFileSync(path, 'utf8');
    } catch (cause) {
      throw new SalveError('SALVE_CONFIG_INVALID', `${source}: cannot be read`, { cause });
    }
    for (const spec of parseNotifiersFile(text, source, kinds)) {
      const builtin = builtins.find((b) => b.spec.name === spec.name);
      if (builtin) {
        throw new SalveError(
          'SALVE_CONFIG_INVALID',
          `${source}: notifier "${spec.name}" is already defined by ${builtin.by}`,
        );
      }
      specs.push(spec);
    }
  }
  return specs;
}

/** The settings the notifiers read, straight from environment variables (`salve check` has no config). */
export function notifySettingsFromEnv(env: NodeJS.ProcessEnv): NotifySettings {
  return Object.fromEntries(Object.entries(settingEnv).map(([setting, name]) => [setting, env[name]]));
}
