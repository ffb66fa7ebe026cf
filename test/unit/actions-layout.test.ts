import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinActions } from '../../src/actions/registry.js';
import { repoRoot } from '../support/fixtures.js';

// One kind, one folder, one registry line (docs/adding-an-action.md): src/actions/<kind, dots as dashes>/ holds
// the action (action.ts) and its `with:` schema (params.ts); the other folders are the shared pieces.

const actionsDir = path.join(repoRoot, 'src/actions');
/** Folders that hold what several actions share, not an action. */
const shared = new Set(['http', 'k8s']);
const folderOf = (kind: string) => kind.replace(/\./g, '-');

describe('src/actions/', () => {
  it.each(builtinActions.map((a) => [a.kind, a] as const))(
    '%s lives in its own folder',
    async (kind, action) => {
      const dir = path.join(actionsDir, folderOf(kind));
      const own = (await import(path.join(dir, 'action.ts'))) as Record<string, unknown>;
      expect(Object.values(own), `src/actions/${folderOf(kind)}/action.ts exports ${kind}`).toContain(action);
      const params = (await import(path.join(dir, 'params.ts'))) as Record<string, unknown>;
      expect(Object.values(params), `src/actions/${folderOf(kind)}/params.ts exports its schema`).toContain(
        action.params,
      );
    },
  );

  it('has no folder that is neither shared nor a registered action', () => {
    const kinds = new Set(builtinActions.map((a) => folderOf(a.kind)));
    const folders = fs
      .readdirSync(actionsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    const strays = folders.filter((f) => !shared.has(f) && !kinds.has(f));
    expect(strays, 'each needs its line in src/actions/registry.ts (or is shared: name it here)').toEqual([]);
  });

  it('keeps the HTTP actions free of Kubernetes helpers', () => {
    for (const action of builtinActions.filter((a) => a.rbac.length === 0)) {
      const dir = path.join(actionsDir, folderOf(action.kind));
      for (const file of fs.readdirSync(dir)) {
        const text = fs.readFileSync(path.join(dir, file), 'utf8');
        expect(text, `${folderOf(action.kind)}/${file}`).not.toMatch(/from '\.\.\/k8s\//);
      }
    }
  });
});
