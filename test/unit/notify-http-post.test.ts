import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHttp, parseRetryAfter, postJson } from '../../src/notify/http-post.js';

const now = new Date('2026-11-27T03:00:00.000Z');
const options = { timeoutMs: 300, now: () => now };

describe('posting a notification', () => {
  it('reads Retry-After as seconds or as an HTTP date, and ignores nonsense', () => {
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 03:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 02:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('999999', now)).toBe(3_600_000);
  });

  it('a URL that is not http(s) is final, and the error does not repeat it', async () => {
    const d = await postJson(createHttp(), 'file:///etc/secret-hook', '{}', options);
    expect(d).toEqual({ outcome: 'dead', status: null, error: 'the configured URL is not an http(s) URL' });
  });

  it('an unreachable peer is retried, and the error names the failure, never the URL', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const d = await postJson(
      createHttp(),
      `http://127.0.0.1:${port}/services/T/B/secret-path`,
      '{}',
      options,
    );
    expect(d).toEqual({ outcome: 'retry', status: null, error: 'request failed (ECONNREFUSED)' });
  });

  it('a peer that does not answer in time is retried', async () => {
    const server = createServer(() => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const d = await postJson(createHttp(), `http://127.0.0.1:${port}/hook`, '{}', options);
      expect(d).toEqual({ outcome: 'retry', status: null, error: 'no answer within 300 ms' });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('keeps only a short error word from the body: anything else could echo what it should not', async () => {
    const replies = [
      [400, 'invalid_payload'],
      [403, '<html>forbidden for https://hooks.example/secret</html>'],
      [410, 'channel_is_archived'],
    ] as const;
    let i = 0;
    const server = createServer((_req, res) => {
      const [status, body] = replies[i++]!;
      res.writeHead(status).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const results = [];
      for (const _ of replies) results.push(await postJson(createHttp(), url, '{}', options));
      expect(results).toEqual([
        { outcome: 'dead', status: 400, error: 'HTTP 400 invalid_payload' },
        { outcome: 'dead', status: 403, error: 'HTTP 403' },
        { outcome: 'dead', status: 410, error: 'HTTP 410 channel_is_archived' },
      ]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
