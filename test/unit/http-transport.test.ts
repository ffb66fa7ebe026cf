import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { noAuth } from '../../src/actions/http/auth.js';
import { createEndpoint, send, transportRetry } from '../../src/actions/http/client.js';
import type { TargetRef } from '../../src/actions/types.js';
import { actionFailure, type FakeHttp, httpActionEnv, startFakeHttp } from '../support/fake-webhook.js';

// The transport sends each request once; the engine owns the retries of a step. The one exception, declared
// in http/client.ts: a connection that never opened (nothing was sent) is tried once more.

const target: TargetRef = { kind: 'Model', namespace: 'ml-prod', name: 'fraud' };

let peer: FakeHttp | undefined;
let server: Server | undefined;
afterEach(async () => {
  await peer?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  peer = server = undefined;
});

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const endpoint = (url: string) => createEndpoint('Test', { url, timeout: '500ms' }, noAuth);

describe('the HTTP transport', () => {
  it('sends a request that reached the peer once, whatever it answered', async () => {
    for (const fault of [500, 503, 429, 408, 'hang'] as const) {
      peer = await startFakeHttp(() => ({ status: 200, body: {} }));
      peer.failNext(fault, 5);
      const { context, clock } = httpActionEnv(target);
      const err = await actionFailure(send(context(), endpoint(peer.url), { method: 'POST', path: '/x' }));
      expect(err, String(fault)).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
      expect(peer.requests, String(fault)).toHaveLength(1);
      expect(clock.sleeps).toEqual([]);
      await peer.close();
      peer = undefined;
    }
  });

  it('tries a connection that was refused once more, after a short backoff, then fails retryably', async () => {
    const port = await closedPort();
    const { context, clock, logs } = httpActionEnv(target);
    const err = await actionFailure(
      send(context(), endpoint(`http://127.0.0.1:${port}`), { method: 'POST', path: '/x' }),
    );
    expect(err).toMatchObject({
      code: 'SALVE_HTTP_REQUEST_FAILED',
      retryable: true,
      details: { transport: 'ECONNREFUSED' },
    });
    expect(transportRetry.attempts).toBe(2);
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(100);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(300);
    expect(logs.lines().filter((l) => l.msg === 'no connection to the peer; sending once more')).toHaveLength(
      1,
    );
  });

  it('reaches a peer that starts listening while it waits: the second send is answered', async () => {
    const port = await closedPort();
    const received: string[] = [];
    const { context } = httpActionEnv(target);
    const ctx = context();
    const listening = {
      ...ctx,
      clock: {
        now: ctx.clock.now,
        sleep: async () => {
          server = createServer((req, res) => {
            received.push(`${req.method} ${req.url}`);
            res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
          });
          await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
        },
      },
    };
    const reply = await send(listening, endpoint(`http://127.0.0.1:${port}`), { method: 'POST', path: '/x' });
    expect(reply).toEqual({ status: 200, data: { ok: true } });
    expect(received).toEqual(['POST /x']);
  });
});
