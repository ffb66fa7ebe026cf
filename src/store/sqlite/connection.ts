import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SalveError } from '../../errors.js';

/** Opens a connection as every salve connection is configured: the writer's and the readers'. */
export function openConnection(file: string): BetterSqlite3.Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    const db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    // FULL: an acknowledged delivery survives a power cut, not only a process crash.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    // Statement journals (a statement's or savepoint's undo pages) stay in memory instead of spilling to temporary
    // files past 64 KiB: a group commit's batch wrote each of its pages to /var/tmp again, a write system call each.
    db.pragma('temp_store = MEMORY');
    return db;
  } catch (cause) {
    throw new SalveError('SALVE_STORE_UNAVAILABLE', `cannot open SQLite database ${file}`, { cause });
  }
}
