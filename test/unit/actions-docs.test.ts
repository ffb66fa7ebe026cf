import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinActions } from '../../src/actions/registry.js';
import { renderActionReference, renderActionTable } from '../../src/actions/render-docs.js';
import { generatedText } from '../../src/docs/generated.js';

// Every action of the registry is documented, from the registry itself (regenerate: npm run generate).

describe('the action documentation', () => {
  const reference = generatedText(fs.readFileSync('docs/actions.md', 'utf8'), 'actions');
  const table = generatedText(fs.readFileSync('README.md', 'utf8'), 'actions');

  it('docs/actions.md and the README table are what the registry renders', () => {
    expect(reference).toBe(renderActionReference().trim());
    expect(table).toBe(renderActionTable().trim());
  });

  it('name every registered action, with its parameters, an example and its RBAC', () => {
    for (const action of builtinActions) {
      expect(reference).toContain(`### \`${action.kind}\``);
      expect(reference).toContain(`- action: ${action.kind}`);
      expect(table).toContain(`[\`${action.kind}\`](docs/actions.md#`);
    }
    expect(reference).toContain('| `requireTags` | map |');
    expect(reference).toContain('| `mode` | `lastKnownGood` \\| `previous` |');
    expect(reference).toContain('| `unpause` | boolean |');
    expect(reference).toContain('- apps: replicasets, controllerrevisions — list');
    expect(reference).toContain('| `url` | string | required, literal |');
  });

  it('the README check example lists every action, as salve check does', () => {
    const readme = fs.readFileSync('README.md', 'utf8');
    const known = builtinActions
      .map((a) => a.kind)
      .sort()
      .join(', ');
    expect(readme).toContain(`known actions: ${known}`);
  });
});
