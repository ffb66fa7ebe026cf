import { useState } from 'preact/hooks';
import { healStates } from '../../../src/domain/heal.js';
import type { Heal, HealList, PolicyList } from '../../../src/http/api-types.js';
import { queryString } from '../api.js';
import { Cell, ErrorNote, FilterBox, Live, Loading, StateBadge, Time } from '../components/bits.js';
import { useSigned } from '../context.js';
import { currentStep, reasonText, words } from '../format.js';
import { usePoll } from '../poll.js';
import { healHref, href, navigate } from '../router.js';

/** The states an operator filters by (the API's own list); `''` is the default: open first, then recent. */
const stateChoices = [
  ['', 'Open first, then recent'],
  ['open', 'Open only'],
  ['any', 'Any state'],
  ...healStates.map((s) => [s, words(s)]),
] as const;

const openPage = 200;
const recentPage = 50;

type Loaded = { open: HealList | null; rest: HealList };

export function HealsView({ query }: { query: URLSearchParams }) {
  const { api } = useSigned();
  const state = query.get('state') ?? '';
  const policy = query.get('policy') ?? '';
  const target = query.get('target') ?? '';
  const cursor = query.get('cursor') ?? '';
  const filters = { policy, target };

  const list = usePoll<Loaded>(async () => {
    if (state) {
      const rest = await api.get<HealList>(
        `/v1/heals${queryString({ ...filters, state: state === 'any' ? '' : state, cursor, limit: recentPage })}`,
      );
      return { open: null, rest };
    }
    const [open, rest] = await Promise.all([
      api.get<HealList>(`/v1/heals${queryString({ ...filters, state: 'open', limit: openPage })}`),
      api.get<HealList>(`/v1/heals${queryString({ ...filters, cursor, limit: recentPage })}`),
    ]);
    return { open, rest };
  }, `heals ${state} ${policy} ${target} ${cursor}`);

  const openIds = new Set(list.data?.open?.heals.map((h) => h.id));
  const rest = list.data?.rest.heals.filter((h) => !openIds.has(h.id)) ?? [];
  const next = list.data?.rest.nextCursor;

  return (
    <>
      <div class="title">
        <h1 tabIndex={-1}>Heals</h1>
        <Live error={list.error} />
      </div>
      <Filters key={`${state}|${policy}|${target}`} state={state} policy={policy} target={target} />
      <ErrorNote error={list.error} what="heals" />
      {list.loading && <Loading what="heals" />}
      {list.data?.open && (
        <section aria-labelledby="open-heals">
          <h2 id="open-heals">Open ({list.data.open.heals.length})</h2>
          <HealTable heals={list.data.open.heals} empty="No open heals: nothing is in progress." />
        </section>
      )}
      {list.data && (
        <section aria-labelledby="other-heals">
          <h2 id="other-heals">{state ? 'Matching heals' : 'Recent'}</h2>
          <HealTable heals={rest} empty={state ? 'No heal matches these filters.' : 'No closed heals yet.'} />
          {next && (
            <p>
              <a href={href('/heals', { state, policy, target, cursor: next })}>Older heals</a>
            </p>
          )}
        </section>
      )}
    </>
  );
}

function Filters(props: { state: string; policy: string; target: string }) {
  const { api } = useSigned();
  const [state, setState] = useState(props.state);
  const [policy, setPolicy] = useState(props.policy);
  const [target, setTarget] = useState(props.target);
  // Policy names to pick from; the filter also takes any name (a policy since removed).
  const policies = usePoll(() => api.get<PolicyList>('/v1/policies'), 'heal-filter-policies', 0);
  return (
    <FilterBox active={Boolean(props.state || props.policy || props.target)}>
      <form
        class="filters"
        aria-label="Filter heals"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(href('/heals', { state, policy: policy.trim(), target: target.trim() }));
        }}
      >
        <p class="field">
          <label for="filter-state">State</label>
          <select id="filter-state" value={state} onChange={(e) => setState(e.currentTarget.value)}>
            {stateChoices.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </p>
        <p class="field">
          <label for="filter-policy">Policy</label>
          <input
            id="filter-policy"
            list="policy-names"
            value={policy}
            onInput={(e) => setPolicy(e.currentTarget.value)}
          />
          <datalist id="policy-names">
            {policies.data?.policies.map((p) => (
              <option key={p.name} value={p.name} />
            ))}
          </datalist>
        </p>
        <p class="field">
          <label for="filter-target">Target</label>
          <input
            id="filter-target"
            placeholder="Deployment/namespace/name"
            value={target}
            onInput={(e) => setTarget(e.currentTarget.value)}
          />
        </p>
        <div class="buttons">
          <button type="submit">Apply filters</button>
          <a class="button-link" href="#/heals">
            Clear
          </a>
        </div>
      </form>
    </FilterBox>
  );
}

export function HealTable({ heals, empty }: { heals: Heal[]; empty: string }) {
  if (heals.length === 0) return <p class="muted">{empty}</p>;
  return (
    <table class="rows">
      <thead>
        <tr>
          <th scope="col">Target</th>
          <th scope="col">Policy</th>
          <th scope="col">State</th>
          <th scope="col">Step</th>
          <th scope="col">Opened</th>
          <th scope="col">Why</th>
        </tr>
      </thead>
      <tbody>
        {heals.map((h) => (
          <tr key={h.id}>
            <Cell label="Target">
              <a href={healHref(h.id)} aria-label={`${h.targetKey}, ${h.policy}, ${words(h.state)}`}>
                {h.targetKey}
              </a>
            </Cell>
            <Cell label="Policy">{h.policy}</Cell>
            <Cell label="State">
              <StateBadge state={h.state} />
              {h.dryRun && <span class="badge badge-quiet">dry run</span>}
            </Cell>
            <Cell label="Step">
              <code>{currentStep(h)?.action ?? '—'}</code>
            </Cell>
            <Cell label="Opened">
              <Time at={h.openedAt} />
            </Cell>
            <Cell label="Why">{reasonText(h.reason)}</Cell>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
