import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Every temporary file of a test run — the tests', and those of the processes they start (salve, kubectl,
 * Alertmanager) — goes under one directory of the run's own, removed when the run ends: the suite leaves
 * nothing in the machine's temp folder, even when a test fails half-way or a child is killed.
 */
export default function setup(): () => void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-test-run-'));
  // Others may pass through, never list: the embedded PostgreSQL runs as its own user (test/support/postgres.ts).
  fs.chmodSync(root, 0o711);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    fs.rmSync(root, { recursive: true, force: true });
  };
}
