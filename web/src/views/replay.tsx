import { useState } from 'preact/hooks';
import type { ReplayReport } from '../../../src/http/api-types.js';
import { ApiError } from '../api.js';
import { Cell, ScopeHint, Time } from '../components/bits.js';
import { useSigned } from '../context.js';
import { reasonText, words } from '../format.js';

type ReplayHeal = ReplayReport['heals'][number];
const windows = ['1d', '7d', '30d'] as const;

const counted = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([k, n]) => `${words(k)} ${n}`)
    .join(', ') || 'none';
const actionsText = (h: ReplayHeal) =>
  h.actions.map((a) => `${a.step}. ${a.action}${a.dryRun ? ' (dry run)' : ''}`).join(', ') || 'none';

/**
 * The policy backtest: a candidate table (or the table in force) through the recorded alerts, in virtual time.
 * Nothing is written and no request leaves salve; it runs once per click, never polled.
 */
export function ReplayView() {
  const { api, canOperate } = useSigned();
  const [content, setContent] = useState('');
  const [since, setSince] = useState<string>('7d');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [report, setReport] = useState<ReplayReport | null>(null);

  async function run(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const policies = content.trim() ? [{ file: 'candidate.yaml', content }] : undefined;
      setReport(
        await api.send<ReplayReport>('POST', '/v1/policies/replay', {
          since,
          listHeals: 200,
          ...(policies ? { policies } : {}),
        }),
      );
    } catch (err) {
      setReport(null);
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <div class="title">
        <h1 tabIndex={-1}>Replay</h1>
      </div>
      <p class="muted">
        What a policy table would have done with the alerts salve recorded: the same matching and guards, in
        virtual time. Nothing is written and no request leaves salve.
      </p>
      <form class="stack" onSubmit={run} aria-labelledby="replay-form">
        <h2 id="replay-form">Backtest</h2>
        <p class="field">
          <label for="replay-policies">Candidate policy file (YAML; empty: the table in force)</label>
          <textarea
            id="replay-policies"
            rows={12}
            spellcheck={false}
            value={content}
            disabled={!canOperate}
            aria-describedby={canOperate ? undefined : 'replay-hint'}
            onInput={(e) => setContent(e.currentTarget.value)}
          />
        </p>
        <p class="field inline">
          <label for="replay-since">Alerts of the last</label>
          <select
            id="replay-since"
            value={since}
            disabled={!canOperate}
            onChange={(e) => setSince(e.currentTarget.value)}
          >
            {windows.map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </p>
        <div class="buttons">
          <button
            type="submit"
            class="primary"
            disabled={!canOperate || busy}
            aria-describedby={canOperate ? undefined : 'replay-hint'}
          >
            {busy ? 'Replaying…' : 'Run the backtest'}
          </button>
        </div>
        {!canOperate && <ScopeHint id="replay-hint" doing="Running a backtest" />}
        <div role="status">
          {error && (
            <p class="note note-bad">
              <span>Backtest refused: </span>
              <pre class="problems-text">{error}</pre>
            </p>
          )}
        </div>
      </form>
      {report && <ReplayResult report={report} />}
    </>
  );
}

function ReplayResult({ report: r }: { report: ReplayReport }) {
  const base = r.baseline.kind === 'recorded' ? 'what happened' : 'the table in force';
  const d = r.difference;
  return (
    <section aria-labelledby="replay-result" class="replay-result">
      <h2 id="replay-result">Result</h2>
      <dl class="summary">
        <div>
          <dt>Replayed</dt>
          <dd>
            {r.alerts} alerts in {r.deliveries} deliveries, <Time at={r.window.since} /> to{' '}
            <Time at={r.window.until} />
          </dd>
        </div>
        <div>
          <dt>Would open</dt>
          <dd>
            {r.healsOpened} heals, taking {r.actions} actions ({base}: {r.baseline.heals} heals,{' '}
            {r.baseline.actions} actions)
          </dd>
        </div>
        <div>
          <dt>Refused by guard</dt>
          <dd>{counted(r.refusals)}</dd>
        </div>
        <div>
          <dt>Would wait for approval</dt>
          <dd>
            {counted(r.approvals)}
            {r.pages > 0 && ` (${r.pages} would page)`}
          </dd>
        </div>
        <div>
          <dt>Loop breaker would stop</dt>
          <dd>{r.loopBreaker.map((b) => `${b.target} (${b.refusals})`).join(', ') || 'no target'}</dd>
        </div>
        {r.unresolved.alerts > 0 && (
          <div>
            <dt>Unresolved without a cluster</dt>
            <dd>
              {r.unresolved.alerts} alerts (
              {Object.entries(r.unresolved.policies)
                .map(([policy, n]) => `${policy} ${n}`)
                .join(', ')}
              ): no owner chain recorded for {r.unresolved.examples.join(', ')}
            </dd>
          </div>
        )}
      </dl>
      {d && (
        <>
          <h3>Difference from {base}</h3>
          <table class="rows replay-diff">
            <thead>
              <tr>
                <th scope="col">Policy</th>
                <th scope="col">Heals before</th>
                <th scope="col">Heals replayed</th>
                <th scope="col">Actions before</th>
                <th scope="col">Actions replayed</th>
              </tr>
            </thead>
            <tbody>
              {d.policies.map((p) => (
                <tr
                  key={p.policy}
                  class={
                    p.baseline.actions !== p.replay.actions || p.baseline.heals !== p.replay.heals
                      ? 'changed'
                      : ''
                  }
                >
                  <Cell label="Policy">{p.policy}</Cell>
                  <Cell label="Heals before">{p.baseline.heals}</Cell>
                  <Cell label="Heals replayed">{p.replay.heals}</Cell>
                  <Cell label="Actions before">{p.baseline.actions}</Cell>
                  <Cell label="Actions replayed">{p.replay.actions}</Cell>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            {d.counts.changed} heal(s) would end otherwise, {d.counts.onlyInReplay} would be new,{' '}
            {d.counts.onlyInBaseline} would not open.
          </p>
        </>
      )}
      <h3>Heals {r.healsListed < r.healsOpened ? `(the first ${r.healsListed} of ${r.healsOpened})` : ''}</h3>
      <table class="rows replay-heals">
        <thead>
          <tr>
            <th scope="col">Opened</th>
            <th scope="col">Policy</th>
            <th scope="col">Target</th>
            <th scope="col">Actions</th>
            <th scope="col">Ends</th>
          </tr>
        </thead>
        <tbody>
          {r.heals.map((h) => (
            <tr key={`${h.openedAt}-${h.policy}-${h.target}`}>
              <Cell label="Opened">
                <Time at={h.openedAt} />
              </Cell>
              <Cell label="Policy">{h.policy}</Cell>
              <Cell label="Target">
                <code>{h.target}</code>
              </Cell>
              <Cell label="Actions">{actionsText(h)}</Cell>
              <Cell label="Ends">
                {words(h.state)}
                {h.reason && h.reason !== h.state ? <div class="muted">{reasonText(h.reason)}</div> : null}
              </Cell>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted">Assumed: {r.assumptions.join('; ')}.</p>
    </section>
  );
}
