import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  currentPart,
  generatedParts,
  generatedText,
  regenerate,
  renderedPart,
  replaceGenerated,
} from '../../src/docs/generated.js';
import { repoRoot } from '../support/fixtures.js';

// Docs and deploy files that code writes: what an action or notifier declares reaches them through
// `npm run generate`, never a hand edit, and this test fails until it has run.

describe('generated parts of the docs and deploy files', () => {
  for (const part of generatedParts) {
    it(`${part.file} (${part.name}) is what the code renders (regenerate: npm run generate)`, () => {
      const text = fs.readFileSync(path.join(repoRoot, part.file), 'utf8');
      expect(currentPart(text, part), `${part.file} has no place for ${part.name}`).not.toBeNull();
      expect(currentPart(text, part)).toBe(renderedPart(part));
    });
  }

  it('regenerating replaces only what is between the markers, keeping their indentation', () => {
    const text = 'before\n<!-- generated:x -->\nold\n<!-- /generated:x -->\nafter\n';
    const next = replaceGenerated(text, 'x', 'new');
    expect(next).toBe('before\n<!-- generated:x -->\n\nnew\n\n<!-- /generated:x -->\nafter\n');
    expect(generatedText(next, 'x')).toBe('new');
    expect(generatedText('no markers', 'x')).toBeNull();
    const indented = '- item\n\n  <!-- generated:x -->\n  old\n  <!-- /generated:x -->\n';
    expect(replaceGenerated(indented, 'x', '  new')).toBe(
      '- item\n\n  <!-- generated:x -->\n\n  new\n\n  <!-- /generated:x -->\n',
    );
  });

  it('regenerating a line or a whole file replaces just that', () => {
    const line = { file: 'f', name: 'l', at: { line: /known: [^\n]*/ }, render: () => 'known: a, b' };
    expect(regenerate('x\n$ known: a\ny\n', line)).toBe('x\n$ known: a, b\ny\n');
    expect(currentPart('x\n$ known: a\ny\n', line)).toBe('known: a');
    expect(() => regenerate('nothing here', line)).toThrow(/no line matches/);
    const whole = { file: 'f', name: 'w', at: 'file' as const, render: () => 'all\n' };
    expect(regenerate('old\n', whole)).toBe('all\n');
  });
});
