import { useState } from 'preact/hooks';
import type { PauseState } from '../../../src/http/api-types.js';
import { ApiError } from '../api.js';
import { ErrorNote, Live, Loading, ScopeHint, Time } from '../components/bits.js';
import { useSigned } from '../context.js';
import { usePoll } from '../poll.js';

/** The kill switch: paused, salve records alerts and acts on nothing, on every replica. */
export function PauseView() {
  const { api, canOperate } = useSigned();
  const pause = usePoll(() => api.get<PauseState>('/v1/pause'), 'pause');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const paused = pause.data?.paused ?? false;

  async function submit(e: Event) {
    e.preventDefault();
    const why = reason.trim();
    if (!why) {
      setResult({ ok: false, text: 'Say why: the reason is kept in the audit log.' });
      return;
    }
    setBusy(true);
    try {
      if (paused) {
        await api.send('DELETE', '/v1/pause', { reason: why });
        setResult({ ok: true, text: 'Resumed: salve acts on alerts again.' });
      } else {
        const state = await api.send<PauseState>('PUT', '/v1/pause', { reason: why });
        setResult({ ok: true, text: `Paused by ${state.by ?? 'you'}: nothing will be acted on.` });
      }
      setReason('');
    } catch (err) {
      setResult({ ok: false, text: `Failed: ${err instanceof ApiError ? err.message : String(err)}` });
    } finally {
      setBusy(false);
      pause.refresh();
    }
  }

  return (
    <>
      <div class="title">
        <h1 tabIndex={-1}>Pause</h1>
        <Live error={pause.error} />
      </div>
      <ErrorNote error={pause.error} what="the pause state" />
      {pause.loading && <Loading what="the pause state" />}
      {pause.data && (
        <section class={`panel ${paused ? 'panel-wait' : 'panel-good'}`} aria-labelledby="pause-state">
          <h2 id="pause-state">{paused ? 'salve is paused' : 'salve is acting'}</h2>
          {paused ? (
            <dl class="summary">
              <div>
                <dt>Paused by</dt>
                <dd>{pause.data.by ?? 'unknown'}</dd>
              </div>
              <div>
                <dt>Since</dt>
                <dd>
                  <Time at={pause.data.at} />
                </dd>
              </div>
              <div>
                <dt>Why</dt>
                <dd>{pause.data.reason || <span class="muted">no reason given</span>}</dd>
              </div>
            </dl>
          ) : (
            <p>
              Heals run as their policies say. Pausing holds every heal at its first guard, on every replica.
            </p>
          )}
          <p class="muted">Alerts are always received and recorded, paused or not.</p>
        </section>
      )}
      {pause.data && (
        <form class="stack" onSubmit={submit} aria-labelledby="pause-control">
          <h2 id="pause-control">{paused ? 'Resume' : 'Pause'}</h2>
          <p class="field">
            <label for="pause-reason">Reason</label>
            <textarea
              id="pause-reason"
              rows={2}
              maxLength={1000}
              value={reason}
              disabled={!canOperate}
              aria-describedby={canOperate ? undefined : 'pause-hint'}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
          </p>
          <div class="buttons">
            <button
              type="submit"
              class={paused ? 'primary' : 'danger'}
              disabled={!canOperate || busy}
              aria-describedby={canOperate ? undefined : 'pause-hint'}
            >
              {paused ? 'Resume salve' : 'Pause salve'}
            </button>
          </div>
          {!canOperate && <ScopeHint id="pause-hint" doing={paused ? 'Resuming' : 'Pausing'} />}
          <div role="status">
            {result && <p class={`note ${result.ok ? 'note-good' : 'note-bad'}`}>{result.text}</p>}
          </div>
        </form>
      )}
    </>
  );
}
