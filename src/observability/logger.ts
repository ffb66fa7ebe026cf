import { createRequire } from 'node:module';
import { type Logger as PinoLogger, pino } from 'pino';

export type Logger = PinoLogger;

/** Paths whose values never reach a log line: tokens, secrets, webhook URLs. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-slack-signature"]',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'signingSecret',
  '*.signingSecret',
  'webhookUrl',
  '*.webhookUrl',
  'config.slackWebhookUrl',
  'config.slackSigningSecret',
  'config.pagerdutyRoutingKey',
  'routingKey',
  '*.routingKey',
  'routing_key',
  '*.routing_key',
  'responseUrl',
  '*.responseUrl',
  'response_url',
  '*.response_url',
];

export type LogFormat = 'auto' | 'json' | 'pretty';

export type LoggerOptions = {
  level: string;
  /** auto: readable on a terminal, JSON lines otherwise. Default: JSON. */
  format?: LogFormat;
  /** Whether stdout is a terminal (for `auto`); default: process.stdout.isTTY. */
  isTTY?: boolean;
  destination?: NodeJS.WritableStream;
};

type PrettyFactory = (options: Record<string, unknown>) => NodeJS.WritableStream;

/** pino-pretty in this process (no worker thread), when it is installed; JSON lines when it is not. */
function prettyStream(): NodeJS.WritableStream | undefined {
  try {
    const pretty = createRequire(import.meta.url)('pino-pretty') as
      | PrettyFactory
      | { default: PrettyFactory };
    const factory = typeof pretty === 'function' ? pretty : pretty.default;
    return factory({
      colorize: true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service',
    });
  } catch {
    return undefined;
  }
}

export function createLogger(options: LoggerOptions): Logger {
  const format = options.format ?? 'json';
  const readable =
    format === 'pretty' || (format === 'auto' && (options.isTTY ?? process.stdout.isTTY === true));
  const destination =
    options.destination ??
    (readable ? prettyStream() : undefined) ??
    pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level: options.level,
      base: { service: 'salve' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // biome-ignore lint/suspicious/noExplicitAny: pino accepts any writable stream as destination.
    destination as any,
  );
}
