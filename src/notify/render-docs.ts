import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { renderActionReference, renderActionTable } from '../actions/render-docs.js';
import { renderHealLifecycle, renderStageTable } from '../domain/render-lifecycle.js';
import { renderExamples, renderFallbackTable } from './examples.js';

/** Generated parts of the docs live between these markers; everything else is written by hand. */
export const generatedParts = [
  { file: 'docs/notifications.md', name: 'examples', render: () => renderExamples().trim() },
  { file: 'README.md', name: 'notification-fallbacks', render: () => renderFallbackTable().trim() },
  { file: 'docs/actions.md', name: 'actions', render: () => renderActionReference().trim() },
  { file: 'README.md', name: 'actions', render: () => renderActionTable().trim() },
  { file: 'docs/heal-lifecycle.md', name: 'heal-lifecycle', render: () => renderHealLifecycle() },
  { file: 'docs/architecture.md', name: 'heal-stages', render: () => renderStageTable() },
] as const;

const markers = (name: string) => [`<!-- generated:${name} -->`, `<!-- /generated:${name} -->`] as const;

/** The text between a part's markers, or null when the markers are missing. */
export function generatedText(text: string, name: string): string | null {
  const [open, close] = markers(name);
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) return null;
  return text.slice(start + open.length, end).trim();
}

export function replaceGenerated(text: string, name: string, content: string): string {
  const [open, close] = markers(name);
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`markers ${open} ... ${close} not found`);
  return `${text.slice(0, start + open.length)}\n\n${content}\n\n${text.slice(end)}`;
}

// `npx tsx src/notify/render-docs.ts` from the repository root rewrites the generated parts.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const part of generatedParts) {
    const text = fs.readFileSync(part.file, 'utf8');
    fs.writeFileSync(part.file, replaceGenerated(text, part.name, part.render()));
    process.stdout.write(`updated ${part.file} (${part.name})\n`);
  }
}
