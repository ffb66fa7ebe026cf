import pg from 'pg';

/** Why PostgreSQL could not be used, in the words an operator searches for, and whether waiting can help. */
export type ConnectionProblem = {
  cause:
    | 'connection refused'
    | 'timed out'
    | 'authentication failed'
    | 'database missing'
    | 'host not found'
    | 'not accepting connections yet'
    | 'connection lost'
    | 'TLS failed'
    | 'refused by the server';
  /** Waiting cannot cure a wrong password or a missing database: say so at once instead of retrying. */
  retry: boolean;
  detail: string;
};

/** SQLSTATE classes and codes seen while connecting. */
const authentication = new Set(['28000', '28P01']);
/** Starting up, shutting down, in recovery, out of connection slots: all pass. */
const notYet = new Set(['57P01', '57P02', '57P03', '53300']);

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Walks `cause` links: the pool wraps its connection timeout around the socket's own error. */
function chain(err: unknown): unknown[] {
  const seen: unknown[] = [];
  for (let e: unknown = err; e && seen.length < 5; e = (e as { cause?: unknown }).cause) seen.push(e);
  return seen;
}

export function classifyConnectionError(err: unknown): ConnectionProblem {
  const detail = messageOf(err);
  for (const e of chain(err)) {
    if (e instanceof pg.DatabaseError && e.code) {
      if (authentication.has(e.code)) return { cause: 'authentication failed', retry: false, detail };
      if (e.code === '3D000') return { cause: 'database missing', retry: false, detail };
      if (notYet.has(e.code)) return { cause: 'not accepting connections yet', retry: true, detail };
      return { cause: 'refused by the server', retry: false, detail };
    }
    const code = (e as { code?: unknown }).code;
    if (code === 'ECONNREFUSED') return { cause: 'connection refused', retry: true, detail };
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { cause: 'host not found', retry: true, detail };
    if (code === 'ETIMEDOUT' || /timeout|timed out/i.test(messageOf(e))) {
      return { cause: 'timed out', retry: true, detail };
    }
    if (typeof code === 'string' && /CERT|SSL|TLS/.test(code))
      return { cause: 'TLS failed', retry: false, detail };
  }
  return { cause: 'connection lost', retry: true, detail };
}

/** host:port and database of a connection URL, without its credentials: what an operator needs to look at. */
export function describeServer(url: string): string {
  const client = new pg.Client({ connectionString: url });
  return `${client.host}:${client.port} (database "${client.database}", user "${client.user}")`;
}
