import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './workspace.js';

/**
 * The NODE_OPTIONS salve ships with: the ones the first line of src/main.ts (the `salve` bin, which `npm start`
 * and the image run) puts before the caller's, e.g. `--max-semi-space-size=16`.
 */
export function shippedNodeOptions(): string[] {
  const shebang = fs.readFileSync(path.join(repoRoot, 'src/main.ts'), 'utf8').split('\n', 1)[0]!;
  const options = /NODE_OPTIONS=([^"]*?) \$\{NODE_OPTIONS\}/.exec(shebang)?.[1];
  if (options === undefined)
    throw new Error(`bench: no NODE_OPTIONS in the first line of src/main.ts: ${shebang}`);
  return options.split(' ').filter((o) => o !== '');
}

/**
 * Flags for the salve children beyond what ships, from SALVE_BENCH_NODE_FLAGS (split on spaces): they come
 * after the shipped ones, so they win, e.g. `SALVE_BENCH_NODE_FLAGS=--max-semi-space-size=32 npm run bench`.
 */
export function extraNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.SALVE_BENCH_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
}

/** What a salve child under tsx gets on its command line: what ships, then the extra flags. */
export function salveNodeFlags(): string[] {
  return [...shippedNodeOptions(), ...extraNodeFlags()];
}
