import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { notificationKinds } from '../../src/domain/notification.js';
import { exampleEvents } from '../../src/notify/examples.js';
import { generatedParts, generatedText, replaceGenerated } from '../../src/notify/render-docs.js';
import { repoRoot } from '../support/fixtures.js';

describe('notification docs', () => {
  it('the examples cover every kind of event, and every step outcome including the dry run', () => {
    expect(new Set(exampleEvents.map((e) => e.event.kind))).toEqual(new Set(notificationKinds));
    const outcomes = exampleEvents.flatMap((e) => (e.event.step ? [e.event.step.status] : []));
    expect(new Set(outcomes)).toEqual(new Set(['changed', 'unchanged', 'failed', 'dry_run']));
  });

  for (const part of generatedParts) {
    it(`${part.file} shows what the builders produce (regenerate: npx tsx src/notify/render-docs.ts)`, () => {
      const text = fs.readFileSync(path.join(repoRoot, part.file), 'utf8');
      expect(generatedText(text, part.name)).toBe(part.render());
    });
  }

  it('regenerating replaces only what is between the markers', () => {
    const text = 'before\n<!-- generated:x -->\nold\n<!-- /generated:x -->\nafter\n';
    const next = replaceGenerated(text, 'x', 'new');
    expect(next).toBe('before\n<!-- generated:x -->\n\nnew\n\n<!-- /generated:x -->\nafter\n');
    expect(generatedText(next, 'x')).toBe('new');
    expect(generatedText('no markers', 'x')).toBeNull();
  });
});
