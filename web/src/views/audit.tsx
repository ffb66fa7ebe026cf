import { useState } from 'preact/hooks';
import { auditTypes } from '../../../src/domain/audit.js';
import type { AuditPage, AuditRecord, AuditVerification } from '../../../src/http/api-types.js';
import { queryString } from '../api.js';
import { Cell, ErrorNote, FilterBox, KeyValues, Live, Loading, Time } from '../components/bits.js';
import { useSigned } from '../context.js';
import { asText, words } from '../format.js';
import { usePoll } from '../poll.js';
import { healHref, href, navigate } from '../router.js';

const fields = [
  { name: 'type', label: 'Type', placeholder: 'guard.refused' },
  { name: 'policy', label: 'Policy', placeholder: '' },
  { name: 'target', label: 'Target', placeholder: 'Deployment/namespace/name' },
  { name: 'heal', label: 'Heal', placeholder: 'heal_…' },
  { name: 'outcome', label: 'Outcome', placeholder: '' },
  { name: 'since', label: 'Since (UTC)', placeholder: '2026-11-27T03:00:00Z' },
  { name: 'until', label: 'Until (UTC)', placeholder: '' },
] as const;

type FieldName = (typeof fields)[number]['name'];

const page = 100;

/** Everything salve decided, newest first, with the hash chain's verdict. */
export function AuditView({ query }: { query: URLSearchParams }) {
  const { api } = useSigned();
  const filters = Object.fromEntries(fields.map((f) => [f.name, query.get(f.name) ?? ''])) as Record<
    FieldName,
    string
  >;
  const cursor = query.get('cursor') ?? '';
  const records = usePoll(
    () => api.get<AuditPage>(`/v1/audit${queryString({ ...filters, order: 'desc', cursor, limit: page })}`),
    `audit ${query.toString()}`,
    // Older pages do not change; the first page follows new records live.
    cursor ? 0 : 3_000,
  );
  const next = records.data?.nextCursor;
  return (
    <>
      <div class="title">
        <h1 tabIndex={-1}>Audit</h1>
        {!cursor && <Live error={records.error} />}
      </div>
      <ChainStatus />
      <AuditFilters key={query.toString()} initial={filters} />
      <ErrorNote error={records.error} what="the audit log" />
      {records.loading && <Loading what="the audit log" />}
      {records.data && (
        <section aria-labelledby="records">
          <h2 id="records">{cursor ? `Records before ${cursor}` : 'Latest records'}</h2>
          <AuditTable records={records.data.records} />
          {next && (
            <p>
              <a href={href('/audit', { ...filters, cursor: next })}>Older records</a>
            </p>
          )}
        </section>
      )}
    </>
  );
}

function ChainStatus() {
  const { api } = useSigned();
  // Walks the whole chain: asked for once per visit and on demand, never polled.
  const verify = usePoll(() => api.get<AuditVerification>('/v1/audit/verify'), 'audit-verify', 0);
  const v = verify.data;
  return (
    <section
      class={`panel ${v ? (v.ok ? 'panel-good' : 'panel-bad') : ''}`}
      aria-labelledby="chain"
      aria-busy={verify.loading}
    >
      <h2 id="chain">Hash chain</h2>
      {verify.loading && <p class="muted">Verifying every record…</p>}
      <ErrorNote error={verify.error} what="the chain verification" />
      {v?.ok === true && (
        <p role="status">
          Intact: all {v.records} records link and match their hashes. Head <code>{v.head.slice(0, 16)}</code>
          .
        </p>
      )}
      {v?.ok === false && (
        <div role="alert">
          <p>
            {v.problemCount === 1 ? '1 record does not hold' : `${v.problemCount} records do not hold`} (of{' '}
            {v.records} checked):
          </p>
          <ul>
            {v.problems.slice(0, 20).map((p) => (
              <li key={p.seq}>
                record {p.seq}: {p.reason}.{' '}
                <a href={href('/audit', { cursor: String(p.seq + 1) })}>Show it</a>
              </li>
            ))}
          </ul>
          {v.problemCount > 20 && (
            <p class="muted">… and {v.problemCount - 20} more: salve audit --verify lists them all.</p>
          )}
        </div>
      )}
      <button type="button" onClick={verify.refresh} disabled={verify.loading}>
        Verify again
      </button>
    </section>
  );
}

function AuditFilters({ initial }: { initial: Record<FieldName, string> }) {
  const [values, setValues] = useState(initial);
  return (
    <FilterBox active={Object.values(initial).some(Boolean)}>
      <form
        class="filters"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          const trimmed = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.trim()]));
          navigate(href('/audit', trimmed));
        }}
      >
        {fields.map((f) => (
          <p class="field" key={f.name}>
            <label for={`audit-${f.name}`}>{f.label}</label>
            <input
              id={`audit-${f.name}`}
              list={f.name === 'type' ? 'audit-types' : undefined}
              value={values[f.name]}
              placeholder={f.placeholder}
              onInput={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })}
            />
          </p>
        ))}
        <datalist id="audit-types">
          {Object.values(auditTypes).map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <div class="buttons">
          <button type="submit">Apply filters</button>
          <a class="button-link" href="#/audit">
            Clear
          </a>
        </div>
      </form>
    </FilterBox>
  );
}

function AuditTable({ records }: { records: AuditRecord[] }) {
  if (records.length === 0) return <p class="muted">No record matches.</p>;
  return (
    <table class="rows audit">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Time</th>
          <th scope="col">Type</th>
          <th scope="col">Outcome</th>
          <th scope="col">Actor</th>
          <th scope="col">Heal / target</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {records.map((r) => (
          <tr key={r.seq}>
            <Cell label="#">{r.seq}</Cell>
            <Cell label="Time">
              <Time at={r.at} />
            </Cell>
            <Cell label="Type">{words(r.type)}</Cell>
            <Cell label="Outcome">{r.outcome ?? ''}</Cell>
            <Cell label="Actor">{r.actor}</Cell>
            <Cell label="Heal / target">
              {r.healId ? <a href={healHref(r.healId)}>{r.target ?? r.healId}</a> : (r.target ?? '')}
              {r.policy && <div class="muted">{r.policy}</div>}
            </Cell>
            <Cell label="Details">
              <Brief data={r.data} />
              <details>
                <summary>All fields</summary>
                <KeyValues values={r.data} />
              </details>
            </Cell>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Brief({ data }: { data: Record<string, unknown> }) {
  const text = ['detail', 'why', 'reason', 'comment']
    .map((k) => data[k])
    .find((v) => v !== undefined && v !== null && v !== '');
  return text === undefined ? null : <p class="brief">{asText(text)}</p>;
}
