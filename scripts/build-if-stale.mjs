// `npm start` runs this first: it compiles only when the sources changed since the last build, so a second
// start takes well under a second instead of a full type-check (tsc then rebuilds incrementally).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

const stamp = 'dist/.tsbuildinfo';
const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function newest(path) {
  const info = statSync(path, { throwIfNoEntry: false });
  if (info === undefined) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const built = newest(stamp);
if (built > 0 && Math.max(...inputs.map(newest)) <= built && newest('dist/src/main.js') > 0) {
  process.exit(0);
}
process.stdout.write('salve: building (tsc, incremental)...\n');
const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
// tsc leaves its build info alone when a touched file's content is unchanged: mark this check as done.
if (tsc.status === 0) utimesSync(stamp, new Date(), new Date());
process.exit(tsc.status ?? 1);
