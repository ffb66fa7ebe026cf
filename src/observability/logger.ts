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
  'responseUrl',
  '*.responseUrl',
  'response_url',
  '*.response_url',
];

export type LoggerOptions = {
  level: string;
  destination?: NodeJS.WritableStream;
};

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'salve' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // biome-ignore lint/suspicious/noExplicitAny: pino accepts any writable stream as destination.
    (options.destination as any) ?? pino.destination({ dest: 1, sync: false }),
  );
}
