import path from 'node:path';
import { parseArgs } from 'node:util';
import { SalveError } from '../errors.js';
import { booleanSettings, type Config, configSchema, type SettingName, settingEnv } from './schema.js';
import { loadTracingSettings } from './tracing.js';

export function flagName(setting: string): string {
  return setting.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

const settings = Object.keys(settingEnv) as SettingName[];

export const configFlagOptions = Object.fromEntries(
  settings.map((s) => [flagName(s), { type: booleanSettings.has(s) ? 'boolean' : 'string' }] as const),
) as Record<string, { type: 'boolean' | 'string' }>;

export type ParsedCommandLine = {
  raw: Partial<Record<SettingName, string | boolean>>;
  positionals: string[];
  extra: Record<string, string | boolean | string[] | undefined>;
};

/** Splits argv into config flags, command-specific flags and positionals. Unknown flags are errors. */
export function parseCommandLine(
  argv: string[],
  extraOptions: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {},
): ParsedCommandLine {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...configFlagOptions, ...extraOptions },
      allowPositionals: true,
      strict: true,
    });
  } catch (cause) {
    throw new SalveError('SALVE_CONFIG_INVALID', (cause as Error).message, { cause });
  }
  const raw: ParsedCommandLine['raw'] = {};
  const extra: ParsedCommandLine['extra'] = {};
  for (const [key, value] of Object.entries(parsed.values)) {
    const setting = settings.find((s) => flagName(s) === key);
    if (setting) raw[setting] = value as string | boolean;
    else extra[key] = value as string | boolean | string[] | undefined;
  }
  return { raw, positionals: parsed.positionals, extra };
}

/**
 * Environment first, flags over it; every problem named with the variable and the flag it came from. Tracing
 * reads the standard OTEL_* variables, which have no flags.
 */
export function loadConfig(env: NodeJS.ProcessEnv, flags: ParsedCommandLine['raw'] = {}): Config {
  const input: Record<string, unknown> = {};
  for (const setting of settings) {
    const fromEnv = env[settingEnv[setting]];
    if (fromEnv !== undefined && fromEnv !== '') input[setting] = fromEnv;
    if (flags[setting] !== undefined) input[setting] = flags[setting];
  }
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const setting = String(issue.path[0]) as SettingName;
      const source = flags[setting] !== undefined ? `--${flagName(setting)}` : settingEnv[setting];
      return `${source}: ${issue.message}`;
    });
    throw new SalveError('SALVE_CONFIG_INVALID', `invalid configuration: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  const config = result.data;
  return {
    ...config,
    tracing: loadTracingSettings(env),
    tokensFile: config.tokensFile ?? path.join(config.dataDir, 'tokens.yaml'),
    auditKeyFile: config.auditKeyFile ?? path.join(config.dataDir, 'audit.key'),
  };
}
