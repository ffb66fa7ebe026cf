import { alertIdentity } from '../../alerts/identity.js';
import type { ReceivedAlert } from '../../alerts/schema.js';
import { isSalveError } from '../../errors.js';

type Key = Pick<ReceivedAlert, 'fingerprint' | 'startsAt' | 'status'>;
type Lookup = (alerts: readonly Key[]) => Promise<Set<string>>;
type Request = {
  alerts: readonly Key[];
  resolve: (known: Set<string>) => void;
  reject: (err: unknown) => void;
};

/** Most alerts one shared read asks about; more wait for the next. */
const maxAlerts = 1_000;

/**
 * `knownAlerts` for the webhook: the deliveries that ask in the same event-loop turn share one read (one
 * statement, one round trip), each answered for its own alerts. A read refused for what one delivery sent (text
 * PostgreSQL cannot hold) is asked again delivery by delivery, so that only that one fails; any other failure
 * (the database's) is every asker's, at once: asking again would only make them wait twice as long.
 */
export function sharedKnownAlerts(lookup: Lookup): Lookup {
  let pending: Request[] = [];

  function answer(requests: readonly Request[]): void {
    lookup(requests.flatMap((r) => r.alerts)).then(
      (known) => {
        for (const r of requests)
          r.resolve(new Set(r.alerts.map(alertIdentity).filter((id) => known.has(id))));
      },
      (err: unknown) => {
        if (requests.length > 1 && isSalveError(err) && err.code === 'SALVE_REQUEST_INVALID')
          for (const r of requests) answer([r]);
        else for (const r of requests) r.reject(err);
      },
    );
  }

  function flush(): void {
    const requests = pending;
    pending = [];
    let group: Request[] = [];
    let size = 0;
    for (const r of requests) {
      if (group.length > 0 && size + r.alerts.length > maxAlerts) {
        answer(group);
        group = [];
        size = 0;
      }
      group.push(r);
      size += r.alerts.length;
    }
    if (group.length > 0) answer(group);
  }

  return (alerts) =>
    new Promise<Set<string>>((resolve, reject) => {
      if (alerts.length === 0) return resolve(new Set());
      if (pending.length === 0) setImmediate(flush);
      pending.push({ alerts, resolve, reject });
    });
}
