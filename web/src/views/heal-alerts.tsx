import type { AttachedAlerts } from '../../../src/http/api-types.js';
import { KeyValues, Time } from '../components/bits.js';
import { safeHttpUrl } from '../format.js';

/** Labels and annotations are written by whoever can make an alert fire: shown as text, links only to http(s). */
export function AlertList({ attached }: { attached: AttachedAlerts }) {
  if (attached.alerts.length === 0) return <p class="muted">No alerts attached (a heal opened by hand).</p>;
  return (
    <>
      <ul class="alerts">
        {attached.alerts.map((a) => {
          const source = safeHttpUrl(a.generatorURL);
          return (
            <li key={`${a.fingerprint}/${a.startsAt}`} class="card">
              <h3>
                {a.alertname}{' '}
                <span class={`badge ${a.resolvedAt ? 'badge-good' : 'badge-bad'}`}>
                  {a.resolvedAt ? 'resolved' : 'firing'}
                </span>
              </h3>
              <p class="muted">
                Started <Time at={a.startsAt} /> · attached <Time at={a.attachedAt} />
                {a.resolvedAt && (
                  <>
                    {' '}
                    · resolved <Time at={a.resolvedAt} />
                  </>
                )}{' '}
                · fingerprint <code>{a.fingerprint}</code>
              </p>
              <div class="two">
                <div>
                  <h4>Labels</h4>
                  <KeyValues values={a.labels} />
                </div>
                <div>
                  <h4>Annotations</h4>
                  <KeyValues values={a.annotations} />
                </div>
              </div>
              {source ? (
                <p>
                  <a href={source} rel="noopener noreferrer" target="_blank">
                    Source of {a.alertname}
                  </a>
                </p>
              ) : (
                a.generatorURL && <p class="muted">Source: {a.generatorURL}</p>
              )}
            </li>
          );
        })}
      </ul>
      {attached.more > 0 && <p class="muted">And {attached.more} more alerts, not shown.</p>}
    </>
  );
}
