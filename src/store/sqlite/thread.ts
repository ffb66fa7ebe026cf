import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts one of the SQLite store's threads (`entry`: its module's name beside this one, without extension).
 * Built (dist/), it is a JavaScript module. Run from the TypeScript sources (tsx, vitest), a worker inherits no
 * loader: its modules are bundled into one script first (esbuild, a development dependency like tsx itself),
 * which starts in a fraction of the time tsx's loader takes in every new thread.
 */
export function startSqliteThread(entry: 'writer-worker' | 'checkpoint-worker', data: unknown): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${entry}.js`, here), { workerData: data });
  return startBundledThread(fileURLToPath(new URL(`./${entry}.ts`, here)), data);
}

/** A worker thread running the TypeScript module at `source`, bundled into one script first (see above). */
export function startBundledThread(source: string, data?: unknown): Worker {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const [bundle] = esbuild.buildSync({
    entryPoints: [source],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  }).outputFiles;
  // Its packages (better-sqlite3) resolve from the entry's own place, as they would unbundled.
  return new Worker(
    `(function (require) {\n${bundle!.text}\n})(require('node:module').createRequire(${JSON.stringify(source)}));`,
    { eval: true, workerData: data },
  );
}
