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

/** How long a line may wait for others before it is written; lines past `batchBytes` are written at once. */
export const logBatch = { waitMs: 50, batchBytes: 4096 } as const;

/**
 * Where JSON lines go: asynchronous writes that gather the lines of many requests. A write per line cost more
 * CPU than the line (a system call on the libuv pool and its completion, per request: ~40 us measured under
 * load); gathered, a write carries up to `batchBytes`. A line waits at most `waitMs` (a timer armed only while
 * a line waits), and every waiting line is written out synchronously when the process exits (pino's exit
 * handler); a SIGKILL loses what waited, as it loses the lines of a write in flight.
 */
export function batchedDestination(dest: number | string): ReturnType<typeof pino.destination> {
  const boom = pino.destination({ dest, sync: false, minLength: logBatch.batchBytes });
  let timer: NodeJS.Timeout | undefined;
  // Ended or destroyed (a test's logger closed): nothing to flush, and flush() would throw.
  const state = boom as unknown as { destroyed: boolean; _ending: boolean };
  const flushLater = () => {
    timer = undefined;
    if (!state.destroyed && !state._ending) boom.flush();
  };
  const write = boom.write.bind(boom);
  boom.write = (line: string) => {
    const written = write(line);
    if (timer === undefined) {
      timer = setTimeout(flushLater, logBatch.waitMs);
      timer.unref();
    }
    return written;
  };
  return boom;
}

export function createLogger(options: LoggerOptions): Logger {
  const format = options.format ?? 'json';
  const readable =
    format === 'pretty' || (format === 'auto' && (options.isTTY ?? process.stdout.isTTY === true));
  const destination =
    options.destination ??
    (readable ? prettyStream() : undefined) ??
    batchedDestination(1);
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
