import type { StatsReport } from '../../../src/http/api-types.js';
import { Cell, ErrorNote, Live, Loading, Time } from '../components/bits.js';
import { useSigned } from '../context.js';
import { formatDuration, percent } from '../format.js';
import { usePoll } from '../poll.js';
import { href, navigate } from '../router.js';

type Step = StatsReport['policies'][number]['steps'][number];
type Percentiles = Step['timeToResolve'];

export const statsWindows = ['1d', '7d', '30d', '90d'] as const;

const seconds = (s: number | null) => (s === null ? '—' : formatDuration(s * 1000));
const ttr = (p: Percentiles) => (p.count === 0 ? '—' : `${seconds(p.median)} / ${seconds(p.p90)}`);
const counted = (m: Record<string, number | undefined>) =>
  Object.entries(m)
    .filter(([, n]) => n)
    .map(([k, n]) => `${k.replace(/_/g, ' ')} ${n}`)
    .join(', ');

/** Heal effectiveness over a window: does each step heal, how fast, what stopped it, and which targets keep coming back. */
export function StatsView({ query }: { query: URLSearchParams }) {
  const { api } = useSigned();
  const since = statsWindows.find((w) => w === query.get('since')) ?? '30d';
  const stats = usePoll(() => api.get<StatsReport>(`/v1/stats?since=${since}`), `stats-${since}`, 10_000);
  const d = stats.data;
  return (
    <>
      <div class="title">
        <h1 tabIndex={-1}>Effectiveness</h1>
        <Live error={stats.error} />
      </div>
      <p class="field inline">
        <label for="stats-since">Window</label>
        <select
          id="stats-since"
          value={since}
          onChange={(e) => navigate(href('/stats', { since: e.currentTarget.value }))}
        >
          {statsWindows.map((w) => (
            <option key={w} value={w}>
              last {w}
            </option>
          ))}
        </select>
      </p>
      <ErrorNote error={stats.error} what="the statistics" />
      {stats.loading && <Loading what="the statistics" />}
      {d && (
        <p class="muted">
          {d.heals} {d.heals === 1 ? 'heal' : 'heals'} opened from <Time at={d.since} /> to{' '}
          <Time at={d.until} />. Success: resolved after the step, over its ended attempts. Dry runs are
          counted apart, never as successes.
        </p>
      )}
      {d && d.policies.length === 0 && <p class="muted">No heal opened in this window.</p>}
      {d && d.policies.length > 0 && (
        <section aria-labelledby="steps">
          <h2 id="steps">Per policy and step</h2>
          <table class="rows stats">
            <thead>
              <tr>
                <th scope="col">Policy</th>
                <th scope="col">Step</th>
                <th scope="col">Attempts</th>
                <th scope="col">Resolved</th>
                <th scope="col">Went on</th>
                <th scope="col">Escalated</th>
                <th scope="col">Failed</th>
                <th scope="col">Open</th>
                <th scope="col">Success</th>
                <th scope="col">Time to resolve (median / p90)</th>
                <th scope="col">Stopped by a guard</th>
                <th scope="col">Dry runs</th>
              </tr>
            </thead>
            <tbody>
              {d.policies.flatMap((p) =>
                p.steps.map((s) => (
                  <tr key={`${p.policy}-${s.step}`}>
                    <Cell label="Policy">
                      <a href={href('/heals', { state: 'any', policy: p.policy })}>{p.policy}</a>
                    </Cell>
                    <Cell label="Step">
                      {s.step}. <code>{s.action}</code>
                    </Cell>
                    <Cell label="Attempts">{s.attempts}</Cell>
                    <Cell label="Resolved">{s.outcomes.resolved}</Cell>
                    <Cell label="Went on">{s.outcomes.next_step}</Cell>
                    <Cell label="Escalated">{s.outcomes.escalated}</Cell>
                    <Cell label="Failed">{s.outcomes.failed}</Cell>
                    <Cell label="Open">{s.outcomes.open}</Cell>
                    <Cell label="Success">
                      <strong>{percent(s.successRate)}</strong>
                    </Cell>
                    <Cell label="Time to resolve">{ttr(s.timeToResolve)}</Cell>
                    <Cell label="Stopped by a guard">{counted(s.refusals) || '—'}</Cell>
                    <Cell label="Dry runs">
                      {s.dryRun.attempts
                        ? `${s.dryRun.attempts} (${s.dryRun.wouldResolve} would resolve)`
                        : '—'}
                    </Cell>
                  </tr>
                )),
              )}
            </tbody>
          </table>
          <h3>Per policy</h3>
          <table class="rows stats-policies">
            <thead>
              <tr>
                <th scope="col">Policy</th>
                <th scope="col">Heals</th>
                <th scope="col">Ended as</th>
                <th scope="col">Time to resolve (median / p90)</th>
                <th scope="col">Approvals</th>
                <th scope="col">Dry-run heals</th>
              </tr>
            </thead>
            <tbody>
              {d.policies.map((p) => (
                <tr key={p.policy}>
                  <Cell label="Policy">{p.policy}</Cell>
                  <Cell label="Heals">{p.heals}</Cell>
                  <Cell label="Ended as">{counted(p.states) || '—'}</Cell>
                  <Cell label="Time to resolve">{ttr(p.timeToResolve)}</Cell>
                  <Cell label="Approvals">{counted(p.approvals) || '—'}</Cell>
                  <Cell label="Dry-run heals">{p.dryRunHeals}</Cell>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {d && d.targets.length > 0 && (
        <section aria-labelledby="targets">
          <h2 id="targets">Most-healed targets</h2>
          <p class="muted">A target healed again and again is a finding, not a success.</p>
          <table class="rows targets">
            <thead>
              <tr>
                <th scope="col">Target</th>
                <th scope="col">Heals</th>
                <th scope="col">Resolved</th>
                <th scope="col">Escalated</th>
                <th scope="col">Policies</th>
                <th scope="col">Last opened</th>
              </tr>
            </thead>
            <tbody>
              {d.targets.map((t) => (
                <tr key={t.target}>
                  <Cell label="Target">
                    <a href={href('/heals', { state: 'any', target: t.target })}>
                      <code>{t.target}</code>
                    </a>
                  </Cell>
                  <Cell label="Heals">{t.heals}</Cell>
                  <Cell label="Resolved">{t.resolved}</Cell>
                  <Cell label="Escalated">{t.escalated}</Cell>
                  <Cell label="Policies">{t.policies.join(', ')}</Cell>
                  <Cell label="Last opened">
                    <Time at={t.lastOpenedAt} />
                  </Cell>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
