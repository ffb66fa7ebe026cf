import { testTokens } from './salve-dir.js';

// Requests to a salve under test, by `inject` or over HTTP to a child process: the headers and reads, once.

export type Scope = keyof typeof testTokens;

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The test token of a scope, as an Authorization header. */
export const authHeaders = (scope: Scope) => bearer(testTokens[scope]);

/** What Alertmanager sends with a webhook body. */
export const alertmanagerHeaders = (token: string = testTokens.alertmanager) => ({
  ...bearer(token),
  'content-type': 'application/json',
});

/** GETs a JSON route of a running salve (with the viewer's test token, unless given another). */
export async function getJson<T>(
  baseUrl: string,
  route: string,
  token: string = testTokens.viewer,
): Promise<T> {
  const res = await fetch(`${baseUrl}${route}`, { headers: bearer(token) });
  if (!res.ok) throw new Error(`GET ${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** POSTs a webhook body (object or raw JSON text) to a running salve, as Alertmanager. */
export function postAlerts(baseUrl: string, body: unknown, token?: string): Promise<Response> {
  return fetch(`${baseUrl}/v1/alertmanager`, {
    method: 'POST',
    headers: alertmanagerHeaders(token),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
