import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/observability/logger.js';

export type LogCapture = { log: Logger; lines: () => Array<Record<string, unknown>>; text: () => string };

/** A real pino logger (same redaction as production) writing into memory. */
export function captureLogs(level = 'debug'): LogCapture {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level, destination });
  const text = () => chunks.join('');
  return {
    log,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
