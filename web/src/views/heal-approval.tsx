import { useState } from 'preact/hooks';
import type { Heal } from '../../../src/http/api-types.js';
import { ApiError, healPath } from '../api.js';
import { ScopeHint, Time } from '../components/bits.js';
import { ConfirmDialog } from '../components/confirm.js';
import { useSigned } from '../context.js';
import { currentStep, words } from '../format.js';

type Decision = 'approve' | 'reject';
type Result = { ok: boolean; text: string };

const verb = { approve: 'Approve', reject: 'Reject' } as const;

/** Approve / Reject for a heal awaiting approval, each behind a confirmation; the outcome stays on screen. */
export function ApprovalPanel({ heal, onDecided }: { heal: Heal; onDecided: () => void }) {
  const { api, canOperate } = useSigned();
  const [asking, setAsking] = useState<Decision | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result | null>(null);
  const waiting = heal.state === 'awaiting_approval';
  if (!waiting && !result) return null;

  async function decide(decision: Decision, comment: string) {
    setBusy(true);
    try {
      const { heal: after } = await api.send<{ heal: Heal }>(
        'POST',
        `${healPath(heal.id)}/${decision}`,
        comment ? { comment } : {},
      );
      setResult({
        ok: true,
        text:
          decision === 'approve'
            ? `Approved. The heal is ${words(after.state)} and will act when its guards pass.`
            : `Rejected. The heal is ${words(after.state)}; nothing will be acted on.`,
      });
    } catch (err) {
      const message = err instanceof ApiError ? err.message : String(err);
      setResult({ ok: false, text: `Could not ${decision} the heal: ${message}` });
    } finally {
      setBusy(false);
      setAsking(null);
      onDecided();
    }
  }

  return (
    <section class="panel panel-wait" aria-labelledby="approval">
      <h2 id="approval">Approval</h2>
      {waiting && (
        <>
          <p>
            This heal waits for a human before it acts
            {heal.deadlineAt && (
              <>
                ; without a decision it expires at <Time at={heal.deadlineAt} />
              </>
            )}
            .
          </p>
          <div class="buttons">
            {(['approve', 'reject'] as const).map((d) => (
              <button
                key={d}
                type="button"
                class={d === 'approve' ? 'primary' : 'danger'}
                disabled={!canOperate || busy}
                aria-describedby={canOperate ? undefined : 'approval-hint'}
                onClick={() => setAsking(d)}
              >
                {verb[d]}
              </button>
            ))}
          </div>
          {!canOperate && <ScopeHint id="approval-hint" doing="Approving or rejecting" />}
        </>
      )}
      <div role="status">
        {result && <p class={`note ${result.ok ? 'note-good' : 'note-bad'}`}>{result.text}</p>}
      </div>
      {asking && (
        <ConfirmDialog
          title={`${verb[asking]} this heal?`}
          confirmLabel={verb[asking]}
          danger={asking === 'reject'}
          comment
          busy={busy}
          onCancel={() => setAsking(null)}
          onConfirm={(comment) => decide(asking, comment)}
        >
          <p>
            {asking === 'approve'
              ? `salve will run ${heal.policy} on ${heal.targetKey}, starting with `
              : `salve will cancel the heal of ${heal.targetKey} by ${heal.policy} and act on nothing; the first step was `}
            <code>{currentStep(heal)?.action ?? '—'}</code>.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
