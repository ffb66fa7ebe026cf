import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type HoldingProxy = {
  url: string;
  /** Resolves when a request matching `hold` reached the upstream and its answer came back (and was held). */
  held: Promise<{ method: string; path: string; status: number }>;
  close(): Promise<void>;
};

/**
 * Forwards everything to `upstream`; the first request matching `hold` is forwarded, its answer received,
 * and then never passed on — the moment between "the API server applied it" and "the client knows".
 */
export async function startHoldingProxy(
  upstream: string,
  hold: (method: string, path: string) => boolean,
): Promise<HoldingProxy> {
  let signal!: (v: { method: string; path: string; status: number }) => void;
  const held = new Promise<{ method: string; path: string; status: number }>((resolve) => {
    signal = resolve;
  });
  let holding = false;
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const up = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (upRes) => {
          const body: Buffer[] = [];
          upRes.on('data', (c: Buffer) => body.push(c));
          upRes.on('end', () => {
            const path = (req.url ?? '').split('?')[0] ?? '';
            if (!holding && hold(req.method ?? '', path)) {
              holding = true;
              signal({ method: req.method ?? '', path, status: upRes.statusCode ?? 0 });
              return; // never answer
            }
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            res.end(Buffer.concat(body));
          });
        },
      );
      up.on('error', () => {
        res.destroy();
      });
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
