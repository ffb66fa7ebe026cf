import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Every `.ts` file under `root` and the files of the same tree it imports (relative specifiers only). */
export type ImportGraph = Map<string, string[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/**
 * Reads the imports of every file with the TypeScript scanner: `import`, `import type`, `export ... from`,
 * and dynamic `import()` all count. Files are named relative to `root`, with `/`.
 */
export function readImportGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  const name = (file: string) => path.relative(root, file).split(path.sep).join('/');
  for (const file of sourceFiles(root)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => name(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'))));
    graph.set(name(file), [...new Set(targets)]);
  }
  return graph;
}

/** The module a file belongs to: its top folder, or its own name for a file at the root. */
export function moduleOf(file: string): string {
  const [first, ...rest] = file.split('/');
  return rest.length === 0 ? first!.replace(/\.ts$/, '') : first!;
}

/** The layer table of docs/architecture.md (between `<!-- layers -->` markers): module → layer number. */
export function layersFromDoc(markdown: string): Map<string, number> {
  const block = /<!-- layers -->([\s\S]*?)<!-- \/layers -->/.exec(markdown)?.[1];
  if (block === undefined) throw new Error('no <!-- layers --> table in the document');
  const layers = new Map<string, number>();
  for (const line of block.split('\n')) {
    const row = /^\|\s*(\d+)\s*\|([^|]*)\|/.exec(line);
    if (!row) continue;
    for (const [, module] of row[2]!.matchAll(/`([^`]+)`/g)) {
      if (layers.has(module!)) throw new Error(`module ${module} is placed in two layers`);
      layers.set(module!, Number(row[1]));
    }
  }
  return layers;
}

/** Imports that do not point down, and modules the table does not place, each said in one line. */
export function layerViolations(graph: ImportGraph, layers: ReadonlyMap<string, number>): string[] {
  const problems = new Set<string>();
  for (const [file, imports] of graph) {
    const from = moduleOf(file);
    const fromLayer = layers.get(from);
    if (fromLayer === undefined) {
      problems.add(`module ${from} (${file}) is in no layer of docs/architecture.md`);
      continue;
    }
    for (const target of imports) {
      const to = moduleOf(target);
      if (to === from) continue;
      const toLayer = layers.get(to);
      if (toLayer === undefined) continue; // reported as the unplaced module it is (or not a source file)
      if (toLayer > fromLayer)
        problems.add(`${file} imports ${target}: up from layer ${fromLayer} (${from}) to ${toLayer} (${to})`);
      else if (toLayer === fromLayer)
        problems.add(`${file} imports ${target}: sideways within layer ${fromLayer} (${from} → ${to})`);
    }
  }
  return [...problems];
}

/** The import cycles between files (strongly connected components of more than one file, or a self-import). */
export function importCycles(graph: ImportGraph): string[][] {
  // Tarjan's algorithm, iterative: source trees are deep enough to make recursion a risk worth not taking.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; edge: number }> = [{ node: start, edge: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = (graph.get(frame.node) ?? []).filter((t) => graph.has(t));
      if (frame.edge < edges.length) {
        const to = edges[frame.edge++]!;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      const selfImport = component.length === 1 && (graph.get(frame.node) ?? []).includes(frame.node);
      if (component.length > 1 || selfImport) cycles.push(component.sort());
    }
  }
  return cycles;
}
