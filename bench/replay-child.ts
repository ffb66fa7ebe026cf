/**
 * One phase of the replay benchmark, in a process of its own so its peak memory is its own:
 * `record DIR N` writes N alerts into a SQLite store (10 a delivery, over 7 virtual days);
 * `replay DIR POLICIES` backtests a table of POLICIES generated policies on that history.
 * Prints one JSON object.
 */
import path from 'node:path';
import { createActionRegistry } from '../src/actions/registry.js';
import { fakeClockAt, recordHistory, replayHistory } from './replay-history.js';

const [phase, dir, n] = process.argv.slice(2);
const file = path.join(dir!, 'salve.db');
const main = async () => {
  if (phase === 'record') return recordHistory(file, Number(n));
  if (phase === 'replay') return replayHistory(file, Number(n), createActionRegistry(), fakeClockAt);
  throw new Error(`unknown phase ${phase}`);
};
main().then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
