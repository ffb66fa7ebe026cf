// `npm start` runs this first: it builds (`npm run build`: the server with incremental tsc, then the console)
// only when the sources changed since the last build, so a second start takes well under a second instead of
// a full type-check.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

const stamp = 'dist/.tsbuildinfo';
const inputs = ['src', 'web', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const outputs = ['dist/src/main.js', 'dist/console/index.html'];

function newest(path) {
  const info = statSync(path, { throwIfNoEntry: false });
  if (info === undefined) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const built = newest(stamp);
if (built > 0 && Math.max(...inputs.map(newest)) <= built && outputs.every((o) => newest(o) > 0)) {
  process.exit(0);
}
process.stdout.write('salve: building (sources changed since the last build)...\n');
const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
// tsc leaves its build info alone when a touched file's content is unchanged: mark this check as done.
if (build.status === 0) utimesSync(stamp, new Date(), new Date());
process.exit(build.status ?? 1);
