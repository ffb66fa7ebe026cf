import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  importCycles,
  layersFromDoc,
  layerViolations,
  moduleOf,
  readImportGraph,
} from '../support/import-graph.js';

const repo = path.resolve(import.meta.dirname, '../..');
const layers = layersFromDoc(readFileSync(path.join(repo, 'docs/architecture.md'), 'utf8'));
const graph = readImportGraph(path.join(repo, 'src'));

describe('arrows point down (the layers of docs/architecture.md)', () => {
  it('places every module of src/ in one layer, the domain alone at the bottom', () => {
    const modules = new Set([...graph.keys()].map(moduleOf));
    expect([...modules].filter((m) => !layers.has(m))).toEqual([]);
    // A layer the code no longer has is a stale table.
    expect([...layers.keys()].filter((m) => !modules.has(m))).toEqual([]);
    expect([...layers].filter(([, layer]) => layer === 0)).toEqual([['domain', 0]]);
  });

  it('has no import from a lower layer to a higher one, nor between modules of one layer', () => {
    expect(layerViolations(graph, layers)).toEqual([]);
  });

  it('has no import cycle between files', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('the domain imports nothing of salve', () => {
    const outward = [...graph]
      .filter(([file]) => moduleOf(file) === 'domain')
      .flatMap(([file, imports]) =>
        imports.filter((t) => moduleOf(t) !== 'domain').map((t) => `${file} → ${t}`),
      );
    expect(outward).toEqual([]);
  });
});

/** A source tree of its own, to show the checks catch what they are for. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'imports-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

const doc = `
<!-- layers -->
| layer | modules | what |
|---|---|---|
| 0 | \`domain\` | model |
| 1 | \`errors\`, \`clock\` | kernel |
| 2 | \`store\` | persistence |
<!-- /layers -->
`;

describe('the import checks', () => {
  it('read the layer table, and refuse a module placed twice', () => {
    expect([...layersFromDoc(doc)]).toEqual([
      ['domain', 0],
      ['errors', 1],
      ['clock', 1],
      ['store', 2],
    ]);
    expect(() => layersFromDoc(`${doc}`.replace('`store`', '`clock`'))).toThrow(
      /clock is placed in two layers/,
    );
    expect(() => layersFromDoc('no table')).toThrow(/no <!-- layers --> table/);
  });

  it('name an upward import, type-only and dynamic ones included, and a sideways one', () => {
    const root = tree({
      'domain/heal.ts':
        "import type { Store } from '../store/types.js';\nexport type Heal = { store: Store };\n",
      'domain/late.ts': "export async function f() { return import('../errors.js'); }\n",
      'errors.ts': "import { now } from './clock.js';\nexport const e = now;\n",
      'clock.ts': 'export const now = () => 0;\n',
      'store/types.ts':
        "import type { Heal } from '../domain/heal.js';\nexport type Store = { heal: Heal };\n",
    });
    expect(layerViolations(readImportGraph(root), layersFromDoc(doc)).sort()).toEqual([
      'domain/heal.ts imports store/types.ts: up from layer 0 (domain) to 2 (store)',
      'domain/late.ts imports errors.ts: up from layer 0 (domain) to 1 (errors)',
      'errors.ts imports clock.ts: sideways within layer 1 (errors → clock)',
    ]);
  });

  it('name a module the table does not place', () => {
    const root = tree({ 'engine/run.ts': "import '../domain/heal.js';\n", 'domain/heal.ts': '' });
    expect(layerViolations(readImportGraph(root), layersFromDoc(doc))).toEqual([
      'module engine (engine/run.ts) is in no layer of docs/architecture.md',
    ]);
  });

  it('find cycles, however long, inside a module too, and leave a chain alone', () => {
    const root = tree({
      'store/a.ts': "export * from './b.js';\n",
      'store/b.ts': "import type { C } from './c.js';\nexport type B = C;\n",
      'store/c.ts': "import { a } from './a.js';\nexport type C = typeof a;\n",
      'store/d.ts': "import './a.js';\n",
      'store/self.ts': "export * from './self.js';\n",
      'domain/x.ts': "import '../domain/y.js';\n",
      'domain/y.ts': '',
    });
    expect(importCycles(readImportGraph(root)).sort()).toEqual([
      ['store/a.ts', 'store/b.ts', 'store/c.ts'],
      ['store/self.ts'],
    ]);
  });
});
