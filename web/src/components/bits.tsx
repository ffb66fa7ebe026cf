import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api.js';
import { asText, formatTime, stateTone, words } from '../format.js';

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge badge-${stateTone(state)}`}>{words(state)}</span>;
}

export function Time({ at }: { at: string | null | undefined }) {
  return at ? <time dateTime={at}>{formatTime(at)}</time> : <span>—</span>;
}

/** Label/annotation maps and the like: every key and value is text. */
export function KeyValues({ values, empty = 'none' }: { values: Record<string, unknown>; empty?: string }) {
  const entries = Object.entries(values).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <p class="muted">{empty}</p>;
  return (
    <dl class="kv">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{typeof v === 'string' ? v : <pre>{asText(v)}</pre>}</dd>
        </div>
      ))}
    </dl>
  );
}

export function ErrorNote({ error, what }: { error: ApiError | null; what: string }) {
  if (!error) return null;
  return (
    <p class="note note-bad" role="alert">
      Could not load {what}: {error.message}
      {error.status === 0 ? ' — retrying.' : ''}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** Shown beside a control a viewer cannot use, so the reason is read, not guessed. */
export function ScopeHint({
  id,
  doing,
  children,
}: {
  id: string;
  doing: string;
  children?: ComponentChildren;
}) {
  return (
    <p class="hint" id={id}>
      {doing} needs the operator scope; this token can only view.{children}
    </p>
  );
}

export function Live({ error }: { error: ApiError | null }) {
  return (
    <p class={`live ${error ? 'live-off' : ''}`}>
      {error ? 'Not updating: salve did not answer. Retrying.' : 'Updates live'}
    </p>
  );
}

/** A table cell whose label shows beside it when the table collapses into cards on a phone. */
export function Cell({ label, children }: { label: string; children?: ComponentChildren }) {
  return (
    <td data-label={label}>
      <div>{children}</div>
    </td>
  );
}

/** Filters fold away on a phone, where the list matters more, unless some are in use. */
export function FilterBox({ active, children }: { active: boolean; children: ComponentChildren }) {
  const wide = window.matchMedia?.('(min-width: 641px)').matches ?? true;
  return (
    <details class="filter-box" open={active || wide}>
      <summary>Filters{active ? ' (in use)' : ''}</summary>
      {children}
    </details>
  );
}
