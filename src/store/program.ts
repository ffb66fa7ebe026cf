// Programs: the store's decisions written once, as generators that yield statements. The same program runs
// synchronously on SQLite (inside its group-commit transaction) and asynchronously on PostgreSQL.
import type { Maybe, StoreStatements, SyncStoreStatements } from './port.js';

export type Step = (s: StoreStatements) => unknown;
export type Program<T> = Generator<Step, T, unknown>;

type Statement<K extends keyof StoreStatements> = StoreStatements[K] extends (
  ...args: infer A
) => Maybe<infer R>
  ? (...args: A) => Generator<Step, Awaited<R>, unknown>
  : never;

/** The statements as steps of a program: `const rows = yield* tx.openHeals(pairs)`. */
export const tx = new Proxy({} as { [K in keyof StoreStatements]: Statement<K> }, {
  get: (_, name: keyof StoreStatements) =>
    function* statement(...args: unknown[]): Generator<Step, unknown, unknown> {
      return yield (s: StoreStatements) => (s[name] as (...a: unknown[]) => unknown)(...args);
    },
});

/** Runs a program on statements that answer at once (SQLite). */
export function runSync<T>(program: Program<T>, statements: SyncStoreStatements): T {
  let next = program.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = next.value(statements);
    } catch (err) {
      next = program.throw(err);
      continue;
    }
    if (value instanceof Promise) throw new Error('a synchronous store answered a statement with a promise');
    next = program.next(value);
  }
  return next.value;
}

/** Runs a program on statements that answer later (PostgreSQL), one after the other. */
export async function runAsync<T>(program: Program<T>, statements: StoreStatements): Promise<T> {
  let next = program.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = await next.value(statements);
    } catch (err) {
      next = program.throw(err);
      continue;
    }
    next = program.next(value);
  }
  return next.value;
}
