import { createRequire } from 'node:module';
import { type Logger as PinoLogger, pino } from 'pino';
import { scrub } from './redact.js';

export type Logger = PinoLogger;

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
  const log = pino(
    {
      level: options.level,
      base: { service: 'salve' },
      // Secrets never reach a line (redact.ts): every line's fields, and `%j`/`%o` arguments of the message.
      formatters: { log: scrub },
      hooks: {
        logMethod(args, method) {
          const from = typeof args[0] === 'string' ? 1 : 2;
          for (let i = from; i < args.length; i++) args[i] = scrub(args[i]);
          return method.apply(this, args);
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // biome-ignore lint/suspicious/noExplicitAny: pino accepts any writable stream as destination.
    destination as any,
  );
  // A child's bindings are written into each of its lines; pino gives no formatter for them (children reset
  // it), so every child, created from this logger or from one of its children, is made through this one.
  const child = log.child;
  log.child = function scrubbedChild(this: Logger, bindings, childOptions) {
    return child.call(this, scrub(bindings), childOptions);
  } as typeof log.child;
  return log;
}
