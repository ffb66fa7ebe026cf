import { SalveError } from '../errors.js';

export type SalveReply = { status: number; body: Record<string, unknown> };

/** One request to a running salve, as an operator would make it with curl (token from SALVE_TOKEN). */
export async function callSalve(
  server: string,
  token: string | undefined,
  request: { method: 'GET' | 'POST'; path: string; body?: unknown; headers?: Record<string, string> },
): Promise<SalveReply> {
  const headers: Record<string, string> = { ...request.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(new URL(request.path, server), {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
  } catch (cause) {
    throw new SalveError('SALVE_REQUEST_INVALID', `cannot reach salve at ${server} (is it running?)`, {
      cause,
    });
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: res.status, body };
}

/** `refused (403): SALVE_AUTH_FORBIDDEN: ...`: a salve error reply in one line. */
export function refusedLine(reply: SalveReply): string {
  const error = reply.body.error as { code?: string; message?: string } | undefined;
  return `refused (${reply.status}): ${error?.code ?? 'unknown'}: ${error?.message ?? ''}`;
}

/** Where the CLI finds a running salve: --server, SALVE_SERVER, else SALVE_LISTEN's address. */
export function serverUrl(flag: unknown, env: NodeJS.ProcessEnv): string {
  if (typeof flag === 'string' && flag !== '') return flag;
  return env.SALVE_SERVER ?? `http://${env.SALVE_LISTEN ?? '127.0.0.1:9095'}`;
}
