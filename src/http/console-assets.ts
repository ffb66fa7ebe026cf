import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../runtime/package-info.js';

export type ConsoleAsset = { body: Buffer; type: string };

/** The operator console as `npm run build` bundles it (web/ → dist/console): read once, served from memory. */
export type ConsoleAssets = {
  dir: string;
  /** null when the console was not built: GET / says how to build it. */
  index: Buffer | null;
  /** Content-hashed files under `assets/`, by name. */
  assets: ReadonlyMap<string, ConsoleAsset>;
};

const types: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** dist/console beside the compiled server, whether it runs from dist/src (npm start) or from src (tsx). */
export function defaultConsoleDir(): string {
  return path.join(packageRoot(), 'dist', 'console');
}

export function loadConsoleAssets(dir: string = defaultConsoleDir()): ConsoleAssets {
  let index: Buffer | null = null;
  try {
    index = fs.readFileSync(path.join(dir, 'index.html'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return { dir, index: null, assets: new Map() };
  }
  const assets = new Map<string, ConsoleAsset>();
  const assetDir = path.join(dir, 'assets');
  for (const name of fs.existsSync(assetDir) ? fs.readdirSync(assetDir) : []) {
    const type = types[path.extname(name)];
    // Only what the page loads: source maps and anything unexpected stay on disk.
    if (type) assets.set(name, { body: fs.readFileSync(path.join(assetDir, name)), type });
  }
  return { dir, index, assets };
}
