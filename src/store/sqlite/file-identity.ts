import fs from 'node:fs';
import path from 'node:path';
import { SalveError } from '../../errors.js';

/** Below this, the disk is treated as full: a commit may still fit, the next WAL growth or checkpoint will not. */
export const minFreeBytes = 8 * 1024 * 1024;

/** Throws when the file system holding the database has (almost) no room left. */
export function checkFreeSpace(file: string): void {
  const fsStat = fs.statfsSync(path.dirname(file));
  const free = fsStat.bavail * fsStat.bsize;
  if (free < minFreeBytes) {
    throw new SalveError(
      'SALVE_STORE_UNAVAILABLE',
      `the file system of ${path.dirname(file)} is full (${free} bytes free, under ${minFreeBytes})`,
      { retryable: true },
    );
  }
}

type Identity = { dev: number; ino: number };

const identityOf = (file: string): Identity | null => {
  try {
    const st = fs.statSync(file);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
};

/**
 * Watches that the files salve has open are still the files at their paths. Deleting (or replacing) the
 * database or its WAL while salve runs leaves salve writing into an unlinked file: every commit would be
 * acknowledged and then gone at the next start. Once that is seen, the store is lost for good: nothing more is
 * committed, and salve says so until it is restarted on restored files.
 */
export function watchDatabaseFiles(file: string) {
  const files = [file, `${file}-wal`];
  const opened = new Map(files.flatMap((f) => (identityOf(f) ? [[f, identityOf(f)!] as const] : [])));
  let lost: SalveError | null = null;

  return {
    /** Throws (SALVE_STORE_UNAVAILABLE) when a file is gone or another one stands at its path. */
    check(): void {
      if (lost) throw lost;
      for (const [f, was] of opened) {
        const now = identityOf(f);
        if (now && now.dev === was.dev && now.ino === was.ino) continue;
        lost = new SalveError(
          'SALVE_STORE_UNAVAILABLE',
          `SQLite ${path.basename(f)} in ${path.dirname(f)} was ${now ? 'replaced' : 'deleted'} while salve runs: ` +
            'the open database is no longer the file at its path, and nothing written to it would survive a restart. ' +
            'Nothing more is committed; restore the files (or move them aside) and restart salve',
          { retryable: true, details: { lost: true } },
        );
        throw lost;
      }
    },
  };
}

export type DatabaseFiles = ReturnType<typeof watchDatabaseFiles>;
