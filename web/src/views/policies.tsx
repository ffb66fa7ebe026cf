import type { PolicyList, PolicyView } from '../../../src/http/api-types.js';
import { Cell, ErrorNote, Live, Loading, Time } from '../components/bits.js';
import { useSigned } from '../context.js';
import { asText, formatDuration, percent } from '../format.js';
import { usePoll } from '../poll.js';
import { href } from '../router.js';

type Problem = PolicyList['problems'][number];

const where = (p: Problem) => `${p.file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''}`;

/**
 * `Kind/namespace/name`, `Kind/name` for a cluster-scoped target (a Node), or the controller an ownerOf target
 * resolves to: never an `undefined` or empty segment.
 */
function targetText(t: PolicyView['target']): string {
  const name = t.name ?? `<controller of ${t.ownerOf?.kind ?? 'an object'} ${t.ownerOf?.name ?? ''}>`;
  return t.namespace === undefined ? `${t.kind}/${name}` : `${t.kind}/${t.namespace}/${name}`;
}

/** The table in force, and whether the last reload of the directory worked. */
export function PoliciesView() {
  const { api } = useSigned();
  const list = usePoll(() => api.get<PolicyList>('/v1/policies'), 'policies', 5_000);
  const d = list.data;
  return (
    <>
      <div class="title">
        <h1 tabIndex={-1}>Policies</h1>
        <Live error={list.error} />
      </div>
      <ErrorNote error={list.error} what="the policies" />
      {list.loading && <Loading what="the policies" />}
      {d && (
        <section class={`panel ${d.ok ? 'panel-good' : 'panel-bad'}`} aria-labelledby="reload">
          <h2 id="reload">{d.ok ? 'Last reload succeeded' : 'Last reload failed'}</h2>
          <p>
            {d.policies.length} {d.policies.length === 1 ? 'policy' : 'policies'} in force from{' '}
            <code>{d.dir}</code>, loaded <Time at={d.loadedAt} />; last attempt <Time at={d.lastAttemptAt} />.
          </p>
          {!d.ok && <p role="alert">The table below is the last good one: the files on disk were refused.</p>}
          <ProblemList title="Problems" problems={d.problems} />
          <ProblemList title="Warnings" problems={d.warnings} />
        </section>
      )}
      {d && (
        <section aria-labelledby="table">
          <h2 id="table">Table in force</h2>
          {d.policies.length === 0 ? (
            <p class="muted">No policies: salve records alerts and acts on none.</p>
          ) : (
            <table class="rows policies">
              <thead>
                <tr>
                  <th scope="col">Policy</th>
                  <th scope="col">Matches</th>
                  <th scope="col">Target</th>
                  <th scope="col">Steps</th>
                  <th scope="col">Guards</th>
                </tr>
              </thead>
              <tbody>
                {d.policies.map((p) => (
                  <PolicyRow key={p.name} policy={p} />
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}

function ProblemList({ title, problems }: { title: string; problems: Problem[] }) {
  if (problems.length === 0) return null;
  return (
    <>
      <h3>{title}</h3>
      <ul class="problems">
        {problems.map((p, i) => (
          <li key={i}>
            <code>{where(p)}</code> {p.path && <code>{p.path}</code>} {p.message}
          </li>
        ))}
      </ul>
    </>
  );
}

function PolicyRow({ policy: p }: { policy: PolicyView }) {
  return (
    <tr>
      <Cell label="Policy">
        <strong>{p.name}</strong>
        <div class="muted">{p.description}</div>
        <div class="muted">
          {p.file} · <a href={href('/heals', { state: 'any', policy: p.name })}>heals</a>
        </div>
      </Cell>
      <Cell label="Matches">
        <ul class="plain">
          {p.match.map((m) => (
            <li key={m}>
              <code>{m}</code>
            </li>
          ))}
        </ul>
        <span class="muted">on {p.on}</span>
      </Cell>
      <Cell label="Target">
        <code>{targetText(p.target)}</code>
        {p.target.namespace === undefined ? (
          <div class="muted">cluster-scoped; names: {(p.allow.names ?? []).join(', ') || 'as written'}</div>
        ) : (
          <div class="muted">namespaces: {p.allow.namespaces.join(', ')}</div>
        )}
      </Cell>
      <Cell label="Steps">
        <ol class="plain-ol">
          {p.steps.map((s, i) => (
            <li key={i}>
              <code>{s.action}</code>
              {Object.keys(s.with).length > 0 && (
                <details>
                  <summary>with</summary>
                  <pre>{asText(s.with)}</pre>
                </details>
              )}
            </li>
          ))}
        </ol>
      </Cell>
      <Cell label="Guards">
        <Guards guards={p.guards} />
        {p.notify.length > 0 && <div class="muted">notify: {p.notify.join(', ')}</div>}
      </Cell>
    </tr>
  );
}

/** Known guards in words; guards this page does not know yet are shown as data. */
function Guards({ guards }: { guards: PolicyView['guards'] }) {
  const { cooldownMs, maxPerTarget, approval, pageAfterMs, dryRun, autonomy, ...other } = guards;
  return (
    <ul class="plain">
      <li>cooldown {cooldownMs > 0 ? formatDuration(cooldownMs) : 'none'}</li>
      <li>
        {maxPerTarget
          ? `at most ${maxPerTarget.count} per target in ${formatDuration(maxPerTarget.windowMs)}`
          : 'no per-target limit'}
      </li>
      <li>
        {approval ? 'needs approval' : 'acts without approval'}
        {approval && pageAfterMs ? `; pages after ${formatDuration(pageAfterMs)} without a decision` : ''}
      </li>
      {dryRun && <li>dry run</li>}
      {autonomy && (
        <li>
          acts alone once a step resolved {percent(autonomy.minSuccessRate)} over at least{' '}
          {autonomy.minSamples} heals in {formatDuration(autonomy.windowMs)} (
          <a href="#/stats">effectiveness</a>)
        </li>
      )}
      {Object.entries(other).map(([k, v]) => (
        <li key={k}>
          {k}: <code>{asText(v)}</code>
        </li>
      ))}
    </ul>
  );
}
