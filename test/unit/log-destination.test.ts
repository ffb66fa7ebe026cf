import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { batchedDestination, createLogger, isoTimeField, logBatch } from '../../src/observability/logger.js';
import { waitFor } from '../support/wait.js';

/*
 * salve's log lines are gathered into fewer writes (logger.ts): none may be lost, reordered or held back
 * for long. A line alone is written within the wait; many are written in order; lines still waiting when the
 * process exits are written before it does.
 */
const dirs: string[] = [];
const tempFile = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-log-'));
  dirs.push(dir);
  return path.join(dir, 'salve.log');
};
/** salve's logger at info on a batched destination writing to a new file, once the file is open. */
const fileLogger = async () => {
  const file = tempFile();
  const destination = batchedDestination(file);
  await once(destination, 'ready');
  const log = createLogger({ level: 'info', destination: destination as unknown as NodeJS.WritableStream });
  return { file, destination, log };
};
const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the batched log destination', () => {
  it('writes a line alone without waiting for others, soon after it was logged', async () => {
    const { file, destination, log } = await fileLogger();
    const logged = Date.now();
    log.info({ delivery: 1 }, 'request completed');
    const seen = await waitFor(
      'the line in the file',
      () => lines(file),
      (l) => l.length === 1,
    );
    expect(seen[0]).toMatchObject({ delivery: 1, msg: 'request completed', service: 'salve' });
    // Not held for more than its wait (with room for a busy machine), never for minutes.
    expect(Date.now() - logged).toBeLessThan(logBatch.waitMs + 5_000);
    destination.end();
  });

  it('writes many lines, more than one batch, all of them in order, also when they stop mid-write', async () => {
    // Bursts past a batch, each ending while a write is in flight: what waits behind it is written too.
    for (const burst of [97, 150, 333]) {
      const { file, destination, log } = await fileLogger();
      const count = 2_000;
      for (let i = 0; i < count; i++) {
        log.info({ n: i, pad: 'x'.repeat(i % 300) }, 'request completed');
        if (i % burst === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const seen = await waitFor(
        'every line',
        () => lines(file),
        (l) => l.length === count,
      );
      expect(seen.map((l) => l.n)).toEqual(Array.from({ length: count }, (_, i) => i));
      destination.end();
      await once(destination, 'close');
    }
  });

  it('writes a line that came while a slow write was in flight, with no line after it', async () => {
    // Every write takes three waits: the line's timer fires while the write before it is in flight.
    const write = fs.write;
    const writes: number[] = [];
    const slow = ((...args: unknown[]) => {
      const callback = args.at(-1) as (...r: unknown[]) => void;
      writes.push(Date.now());
      (write as (...a: unknown[]) => void)(...args.slice(0, -1), (...result: unknown[]) =>
        setTimeout(() => callback(...result), logBatch.waitMs * 3),
      );
    }) as typeof fs.write;
    fs.write = slow;
    try {
      const { file, destination, log } = await fileLogger();
      log.info('first');
      await waitFor(
        'the first write',
        () => writes.length,
        (n) => n === 1,
      );
      log.info('second');
      const seen = await waitFor(
        'both lines',
        () => lines(file),
        (l) => l.length === 2,
        { timeoutMs: 5_000 },
      );
      expect(seen.map((l) => l.msg)).toEqual(['first', 'second']);
      destination.end();
    } finally {
      fs.write = write;
    }
  });

  it('writes the lines still waiting when the process exits, and those of an uncaught error', () => {
    const file = tempFile();
    const logger = path.resolve('src/observability/logger.ts');
    for (const ending of ['', 'process.exit(3);', 'throw new Error("boom");']) {
      fs.rmSync(file, { force: true });
      const script = `
        const { batchedDestination, createLogger } = await import(${JSON.stringify(logger)});
        // A descriptor, as salve's stdout is: ready at once.
        const fs = await import('node:fs');
        const destination = batchedDestination(fs.openSync(${JSON.stringify(file)}, 'a'));
        const log = createLogger({ level: 'info', destination });
        for (let i = 0; i < 5; i++) log.info({ n: i }, 'request completed');
        process.on('uncaughtException', (err) => { log.fatal({ err }, 'crashed'); process.exit(1); });
        ${ending}`;
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.error, ending).toBeUndefined();
      const written = lines(file);
      expect(
        written.filter((l) => l.msg === 'request completed').map((l) => l.n),
        ending,
      ).toEqual([0, 1, 2, 3, 4]);
      if (ending.startsWith('throw')) expect(written.at(-1)).toMatchObject({ msg: 'crashed', level: 60 });
    }
  });

  it('stops quietly once ended, with a line still waiting', async () => {
    const { file, destination, log } = await fileLogger();
    log.info('last words');
    destination.end();
    await once(destination, 'close');
    // The timer armed for the line fires after the end: nothing throws, the line was written by end().
    await new Promise((resolve) => setTimeout(resolve, logBatch.waitMs * 2));
    expect(lines(file).map((l) => l.msg)).toEqual(['last words']);
  });
});

describe('the time of a line', () => {
  it('is written as pino’s isoTime writes it, for every millisecond around second and day boundaries', () => {
    let now = 0;
    const time = isoTimeField(() => now);
    const starts = [
      Date.UTC(2026, 10, 30, 23, 59, 58),
      Date.UTC(2024, 1, 29, 0, 0, 0),
      0,
      Date.UTC(2026, 0, 1),
    ];
    for (const start of starts) {
      for (let ms = start - 1500; ms < start + 2500; ms += 1) {
        now = ms;
        expect(time()).toBe(`,"time":"${new Date(ms).toISOString()}"`);
      }
    }
    // Going back (a clock set back) is written as it is, too.
    now = starts[0]!;
    expect(time()).toBe(`,"time":"${new Date(starts[0]!).toISOString()}"`);
  });

  it('is the time field of every line salve writes', async () => {
    const { file, destination, log } = await fileLogger();
    const before = Date.now();
    log.info('now');
    const [line] = await waitFor(
      'the line',
      () => lines(file),
      (l) => l.length === 1,
    );
    const at = Date.parse(line!.time as string);
    expect(line!.time).toBe(new Date(at).toISOString());
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
    destination.end();
  });
});
