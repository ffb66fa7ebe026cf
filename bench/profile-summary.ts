/**
 * Summarises V8 CPU profiles written by `npm run bench -- --profile DIR`: self time by area (salve's own
 * folders, each dependency, node internals, GC, idle) and the hottest functions.
 * Usage: npx tsx bench/profile-summary.ts DIR_OR_FILE [--top N] [--skip SECONDS]. Each thread has a file, its thread
 * id in the name (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile): 0 is the main thread, 1 tsx's module loader
 * (idle); then, for salve on SQLite, the writer thread (the one with `sqliteTransaction`) and the checkpoint thread,
 * and for a floor its writer thread. The samples are wall-clock: a thread blocked in fsync, or preempted on a busy
 * machine, is sampled where it stopped, so native calls that block or wake another thread (COMMIT, postMessage,
 * a socket or file write) read larger here than in CPU time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fixed, renderTable } from './table.js';

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

/** A readable bucket for a script URL: `src/store`, `better-sqlite3`, `node:internal`, `(garbage collector)`. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const src = url.indexOf('/src/');
  if (src >= 0) {
    const parts = url.slice(src + 1).split('/');
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts.join('/');
  }
  return path.basename(url);
}

function frameName(node: ProfileNode): string {
  const f = node.callFrame;
  return `${f.functionName || '(anonymous)'} ${areaOf(f.url, f.functionName)}:${f.lineNumber + 1}`;
}

/** Self time per node and total (inclusive) time per function, from `skipUs` into the profile. */
function tally(profile: CpuProfile, skipUs: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  const totalUs = new Map<string, number>();
  let at = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < skipUs) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
    // Each function once per sample, however deep it recurses.
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n))
      seen.add(frameName(byId.get(n)!));
    for (const name of seen) totalUs.set(name, (totalUs.get(name) ?? 0) + delta);
  });
  return { byId, selfUs, totalUs };
}

function summarise(profile: CpuProfile, top: number, skipUs: number): string {
  const { byId, selfUs, totalUs } = tally(profile, skipUs);
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const name = frameName(node);
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => [name, fixed(us / 1000, 0), `${fixed((100 * us) / total, 1)}%`]);
  return [
    `total ${fixed(total / 1e6, 1)} s sampled`,
    renderTable(['area (self time)', 'ms', 'share'], rows(areas)),
    '',
    renderTable(['function (self time)', 'ms', 'share'], rows(functions)),
    '',
    renderTable(['function (total time, callees included)', 'ms', 'share'], rows(totalUs)),
  ].join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, skip: { type: 'string' } },
  });
  const target = positionals[0];
  if (!target) throw new Error('usage: profile-summary.ts DIR_OR_FILE [--top N] [--skip SECONDS]');
  const top = Number(values.top ?? 25);
  // Start-up (module loading through tsx) is not what the load measures: --skip 2 leaves it out.
  const skipUs = Number(values.skip ?? 0) * 1e6;
  const files = fs.statSync(target).isDirectory()
    ? fs
        .readdirSync(target, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => path.join(target, f))
    : [target];
  for (const file of files.sort()) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    process.stdout.write(`== ${path.relative(target, file) || file}\n${summarise(profile, top, skipUs)}\n\n`);
  }
}

main();
