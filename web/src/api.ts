import type { ApiErrorBody } from '../../src/http/api-types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Api = {
  get<T>(path: string): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
};

/**
 * Every call carries the token as a Bearer header and nothing else: no cookies exist (credentials are
 * omitted), so another site can never make the browser act with an operator's rights.
 */
export function createApi(token: string | null, onUnauthorized?: (error: ApiError) => void): Api {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
        redirect: 'error',
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'salve did not answer');
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!response.ok) {
      const detail = (json as Partial<ApiErrorBody> | null)?.error;
      const error = new ApiError(
        response.status,
        detail?.code ?? `HTTP_${response.status}`,
        detail?.message ?? `salve answered ${response.status}`,
      );
      if (response.status === 401) onUnauthorized?.(error);
      throw error;
    }
    return json as T;
  }
  return {
    get: (path) => call('GET', path),
    send: (method, path, body) => call(method, path, body),
  };
}

/** `?a=1&b=2` from the values that are set (empty strings are filters left blank). */
export function queryString(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
}

export const healPath = (id: string) => `/v1/heals/${encodeURIComponent(id)}`;
