import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  renderActionReference,
  renderActionTable,
  renderAllowTable,
  renderKnownActions,
} from '../actions/render-docs.js';
import { renderClusterRole, renderRole } from '../actions/render-rbac.js';
import { renderHealLifecycle, renderStageTable } from '../domain/render-lifecycle.js';
import { renderExamples, renderFallbackTable } from '../notify/slack/docs.js';

/**
 * A part of a file that code writes: between `<!-- generated:NAME -->` markers (the default), the one line that
 * matches `line`, or the whole file. `npm run generate` rewrites every part; a test fails when one and its code
 * disagree, so what a new action or notifier declares reaches the docs and the RBAC without a hand edit.
 */
export type GeneratedPart = {
  file: string;
  name: string;
  at?: { line: RegExp } | 'file';
  render(): string;
};

export const generatedParts: readonly GeneratedPart[] = [
  { file: 'docs/notifications.md', name: 'examples', render: () => renderExamples().trim() },
  { file: 'README.md', name: 'notification-fallbacks', render: () => renderFallbackTable().trim() },
  { file: 'docs/actions.md', name: 'actions', render: () => renderActionReference().trim() },
  { file: 'README.md', name: 'actions', render: () => renderActionTable().trim() },
  { file: 'README.md', name: 'allow-lists', render: renderAllowTable },
  {
    file: 'README.md',
    name: 'known-actions',
    at: { line: /known actions: [^\n"]*/ },
    render: renderKnownActions,
  },
  { file: 'deploy/kubernetes/base/role.yaml', name: 'role', at: 'file', render: renderRole },
  {
    file: 'deploy/kubernetes/components/cluster-scoped/cluster-role.yaml',
    name: 'cluster-role',
    at: 'file',
    render: renderClusterRole,
  },
  { file: 'docs/heal-lifecycle.md', name: 'heal-lifecycle', render: renderHealLifecycle },
  { file: 'docs/architecture.md', name: 'heal-stages', render: renderStageTable },
];

const markers = (name: string) => [`<!-- generated:${name} -->`, `<!-- /generated:${name} -->`] as const;

/** The text between a part's markers, or null when the markers are missing. */
export function generatedText(text: string, name: string): string | null {
  const [open, close] = markers(name);
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) return null;
  return text.slice(start + open.length, end).trim();
}

/** Replaces what is between the markers; the closing marker keeps the opening one's indentation. */
export function replaceGenerated(text: string, name: string, content: string): string {
  const [open, close] = markers(name);
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`markers ${open} ... ${close} not found`);
  const indent = /[ \t]*$/.exec(text.slice(text.lastIndexOf('\n', start) + 1, start))?.[0] ?? '';
  return `${text.slice(0, start + open.length)}\n\n${content}\n\n${indent}${text.slice(end)}`;
}

/** What the file holds where the part goes (null when it is not there), to compare with `render()`. */
export function currentPart(text: string, part: GeneratedPart): string | null {
  if (part.at === 'file') return text;
  if (part.at !== undefined) return part.at.line.exec(text)?.[0] ?? null;
  return generatedText(text, part.name);
}

/** The part as code renders it, trimmed as `currentPart` reads it. */
export function renderedPart(part: GeneratedPart): string {
  return part.at === undefined ? part.render().trim() : part.render();
}

/** The file's text with the part regenerated. */
export function regenerate(text: string, part: GeneratedPart): string {
  if (part.at === 'file') return part.render();
  if (part.at !== undefined) {
    if (!part.at.line.test(text)) throw new Error(`${part.file}: no line matches ${part.at.line}`);
    return text.replace(part.at.line, part.render());
  }
  return replaceGenerated(text, part.name, part.render());
}

// `npm run generate` (from the repository root) rewrites every generated part.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const part of generatedParts) {
    const text = fs.readFileSync(part.file, 'utf8');
    fs.writeFileSync(part.file, regenerate(text, part));
    process.stdout.write(`updated ${part.file} (${part.name})\n`);
  }
}
