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
  // sonic-boom's own state: a write in flight, what waits, and whether it was ended (a test's logger closed).
  const state = boom as unknown as { destroyed: boolean; _ending: boolean; _writing: boolean; _len: number };
  const arm = () => {
    if (timer !== undefined) return;
    timer = setTimeout(flushLater, logBatch.waitMs);
    timer.unref();
  };
  // Until nothing waits: a flush while a write is in flight does nothing, and what waits behind it would
  // otherwise wait for the next line.
  function flushLater() {
    timer = undefined;
    if (state.destroyed || state._ending || state._len === 0) return;
    if (!state._writing) boom.flush();
    arm();
  }
  const write = boom.write.bind(boom);
  boom.write = (line: string) => {
    const written = write(line);
    arm();
    return written;
  };
  return boom;
}

/**
 * pino's `timestamp`: `,"time":"<ISO 8601, UTC, milliseconds>"`, as pino's isoTime writes it, without a Date
 * per line: the text up to the second is made once a second, and the milliseconds are appended.
 */
export function isoTimeField(now: () => number = Date.now): () => string {
  let second = Number.NaN;
  let head = '';
  return () => {
    const ms = now();
    const s = Math.floor(ms / 1000);
    if (s !== second) {
      second = s;
      // "2026-11-30T22:40:54." (through the second, and the dot); years 0 to 9999 are always this long.
      head = `,"time":"${new Date(s * 1000).toISOString().slice(0, 20)}`;
    }
    const milli = ms - s * 1000;
    return `${head}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z"`;
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const format = options.format ?? 'json';
  const readable =
    format === 'pretty' || (format === 'auto' && (options.isTTY ?? process.stdout.isTTY === true));
  const destination = options.destination ?? (readable ? prettyStream() : undefined) ?? batchedDestination(1);
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
      timestamp: isoTimeField(),
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
