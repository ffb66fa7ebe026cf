import type { AttachedAlerts, AuditRecord, Heal, HealDetail } from '../../../src/http/api-types.js';
import { healPath } from '../api.js';
import { ErrorNote, KeyValues, Live, Loading, StateBadge, Time } from '../components/bits.js';
import { useSigned } from '../context.js';
import { asText, currentStep, formatDuration, reasonText, safeHttpUrl, words } from '../format.js';
import { usePoll } from '../poll.js';
import { href } from '../router.js';
import { AlertList } from './heal-alerts.js';
import { ApprovalPanel } from './heal-approval.js';

type Loaded = HealDetail & { attached: AttachedAlerts };

export function HealDetailView({ id }: { id: string }) {
  const { api } = useSigned();
  const detail = usePoll<Loaded>(async () => {
    const [d, attached] = await Promise.all([
      api.get<HealDetail>(healPath(id)),
      api.get<AttachedAlerts>(`${healPath(id)}/alerts`),
    ]);
    return { ...d, attached };
  }, `heal ${id}`);

  const heal = detail.data?.heal;
  // One heading element whether loading or loaded, so the focus a new view gives it survives the data's arrival.
  const head = (
    <>
      <p class="crumbs">
        <a href="#/heals">Heals</a> ›
      </p>
      <div class="title">
        <h1 tabIndex={-1}>
          {heal ? (
            <>
              {heal.targetKey} <StateBadge state={heal.state} />
            </>
          ) : (
            'Heal'
          )}
        </h1>
        {heal && <Live error={detail.error} />}
      </div>
    </>
  );
  if (!detail.data || !heal) {
    return (
      <>
        {head}
        {detail.error?.status === 404 ? (
          <p class="note note-bad" role="alert">
            There is no heal {id}. <a href="#/heals">Back to the heals</a>.
          </p>
        ) : (
          <ErrorNote error={detail.error} what="the heal" />
        )}
        {detail.loading && <Loading what="the heal" />}
      </>
    );
  }
  const { timeline, attached } = detail.data;
  return (
    <>
      {head}
      <p class="subtitle">
        Policy <a href="#/policies">{heal.policy}</a> · heal <code class="heal-id">{heal.id}</code>
      </p>
      <ApprovalPanel heal={heal} onDecided={detail.refresh} />
      <section aria-labelledby="summary">
        <h2 id="summary">Summary</h2>
        <Summary heal={heal} />
      </section>
      <section aria-labelledby="steps">
        <h2 id="steps">Steps</h2>
        <Steps heal={heal} timeline={timeline} />
      </section>
      <section aria-labelledby="alerts">
        <h2 id="alerts">Alerts ({attached.alerts.length + attached.more})</h2>
        <AlertList attached={attached} />
      </section>
      <section aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        <p class="muted">
          Every audit record of this heal, oldest first.{' '}
          <a href={href('/audit', { heal: heal.id })}>Open in the audit log</a>
        </p>
        <Timeline records={timeline} />
      </section>
    </>
  );
}

function Summary({ heal }: { heal: Heal }) {
  const step = currentStep(heal);
  const trigger =
    heal.trigger.kind === 'alert'
      ? `alert ${heal.trigger.alertname} (receiver ${heal.trigger.receiver})`
      : `by hand: ${heal.trigger.actor} — ${heal.trigger.reason}${heal.trigger.force ? ' (forced)' : ''}`;
  return (
    <dl class="summary">
      <div>
        <dt>Target</dt>
        <dd>{heal.targetKey}</dd>
      </div>
      <div>
        <dt>Policy</dt>
        <dd>{heal.policy}</dd>
      </div>
      <div>
        <dt>State</dt>
        <dd>
          <StateBadge state={heal.state} /> {heal.dryRun && <span class="badge badge-quiet">dry run</span>}
        </dd>
      </div>
      <div>
        <dt>Current step</dt>
        <dd>
          {step ? <code>{step.action}</code> : '—'} <span class="muted">({words(heal.phase)})</span>
          {heal.attempt > 0 && <span class="muted"> · attempt {heal.attempt}</span>}
        </dd>
      </div>
      {heal.reason && (
        <div>
          <dt>Why</dt>
          <dd>{reasonText(heal.reason)}</dd>
        </div>
      )}
      <div>
        <dt>Opened</dt>
        <dd>
          <Time at={heal.openedAt} />
        </dd>
      </div>
      <div>
        <dt>Updated</dt>
        <dd>
          <Time at={heal.updatedAt} />
        </dd>
      </div>
      {heal.deadlineAt && (
        <div>
          <dt>Deadline</dt>
          <dd>
            <Time at={heal.deadlineAt} />
          </dd>
        </div>
      )}
      {heal.closedAt && (
        <div>
          <dt>Closed</dt>
          <dd>
            <Time at={heal.closedAt} />
          </dd>
        </div>
      )}
      {heal.approvedBy && (
        <div>
          <dt>Approved by</dt>
          <dd>
            {heal.approvedBy}, <Time at={heal.approvedAt} />
          </dd>
        </div>
      )}
      <div>
        <dt>Opened by</dt>
        <dd>{trigger}</dd>
      </div>
      {heal.traceId && (
        <div>
          <dt>Trace</dt>
          <dd>
            <TraceLink heal={heal} />
          </dd>
        </div>
      )}
    </dl>
  );
}

/** The heal's trace: a link where SALVE_TRACE_URL says (http(s) only), else its id to search for. */
function TraceLink({ heal }: { heal: Heal }) {
  const url = safeHttpUrl(heal.traceUrl);
  const id = <code class="trace-id">{heal.traceId}</code>;
  return url ? (
    <a href={url} rel="noopener noreferrer" target="_blank">
      {id}
    </a>
  ) : (
    id
  );
}

/** What the audit log says about one step (numbered from 1): its action results and verification. */
function stepRecords(timeline: AuditRecord[], number: number): AuditRecord[] {
  return timeline.filter(
    (r) => r.data.step === number && (r.type.startsWith('action.') || r.type.startsWith('verify.')),
  );
}

function Steps({ heal, timeline }: { heal: Heal; timeline: AuditRecord[] }) {
  return (
    <ol class="steps">
      {heal.steps.map((step, i) => {
        const results = stepRecords(timeline, i + 1);
        const isCurrent = i + 1 === heal.step && heal.closedAt === null;
        return (
          <li key={i} class={isCurrent ? 'current' : undefined} aria-current={isCurrent ? 'step' : undefined}>
            <p>
              <code>{step.action}</code>
              {isCurrent && <span class="badge badge-open">current</span>}
              {step.verify.rolloutMs !== undefined && (
                <span class="muted"> · rollout within {formatDuration(step.verify.rolloutMs)}</span>
              )}
              {step.verify.resolvedMs !== undefined && (
                <span class="muted"> · alerts resolved within {formatDuration(step.verify.resolvedMs)}</span>
              )}
            </p>
            <details>
              <summary>Parameters</summary>
              <pre>{asText(step.params)}</pre>
            </details>
            {results.length > 0 && (
              <ul class="results">
                {results.map((r) => (
                  <li key={r.seq}>
                    <Time at={r.at} /> {words(r.type)}
                    {r.outcome && <span class="badge badge-quiet">{words(r.outcome)}</span>}
                    {typeof r.data.detail === 'string' && <span> — {r.data.detail}</span>}
                  </li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ol>
  );
}

/** The fields worth reading first in a record; the rest are one click away. */
const headline = ['guard', 'detail', 'why', 'reason', 'comment', 'error', 'message'] as const;

export function Timeline({ records }: { records: AuditRecord[] }) {
  if (records.length === 0) return <p class="muted">No records yet.</p>;
  return (
    <ol class="timeline">
      {records.map((r) => {
        const lead = headline.filter((k) => r.data[k] !== undefined && r.data[k] !== null);
        return (
          <li key={r.seq}>
            <p class="tl-head">
              <Time at={r.at} /> <strong>{words(r.type)}</strong>
              {r.outcome && <span class="badge badge-quiet">{words(r.outcome)}</span>}
              <span class="muted"> by {r.actor}</span>
            </p>
            {lead.length > 0 && (
              <dl class="kv kv-lead">
                {lead.map((k) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd>{asText(r.data[k])}</dd>
                  </div>
                ))}
              </dl>
            )}
            <details>
              <summary>Record {r.seq}: all fields</summary>
              <KeyValues values={r.data} />
            </details>
          </li>
        );
      })}
    </ol>
  );
}
