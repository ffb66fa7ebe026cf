import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

export type ConfirmProps = {
  title: string;
  confirmLabel: string;
  /** Offer a comment field (kept in the audit log). */
  comment?: boolean;
  danger?: boolean;
  busy?: boolean;
  onConfirm: (comment: string) => void;
  onCancel: () => void;
  children?: ComponentChildren;
};

/**
 * A modal <dialog>: the browser traps focus in it, Escape cancels it, and focus returns to the button that
 * opened it. Rendered only while a confirmation is asked for.
 */
export function ConfirmDialog(props: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [comment, setComment] = useState('');
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class="confirm"
      aria-labelledby="confirm-title"
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          props.onConfirm(comment.trim());
        }}
      >
        <h2 id="confirm-title">{props.title}</h2>
        {props.children}
        {props.comment && (
          <p class="field">
            <label for="confirm-comment">Comment (optional, kept in the audit log)</label>
            <textarea
              id="confirm-comment"
              maxLength={1000}
              rows={2}
              value={comment}
              onInput={(e) => setComment(e.currentTarget.value)}
            />
          </p>
        )}
        <div class="buttons">
          <button type="button" onClick={props.onCancel} disabled={props.busy}>
            Cancel
          </button>
          <button type="submit" class={props.danger ? 'danger' : 'primary'} disabled={props.busy}>
            {props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
