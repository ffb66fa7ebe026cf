import net from 'node:net';

export type TcpProxy = {
  host: string;
  port: number;
  /** `url` with its host:port replaced by the proxy's. */
  via(url: string): string;
  /**
   * A partition: nothing passes either way, on established connections or new ones, and nothing is closed.
   * New connections are accepted (by this end's kernel, as a stuck load balancer would) and never answered.
   * What was sent meanwhile is delivered on heal(), as TCP retransmission would.
   */
  blackhole(): void;
  /** Established connections stall (a NAT or conntrack entry lost); new ones pass. */
  stallEstablished(): void;
  /** Everything passes again. */
  heal(): void;
  /** Established connections, in and out. */
  connections(): number;
  close(): Promise<void>;
};

type Pair = { client: net.Socket; upstream: net.Socket | null; stalled: boolean };

/**
 * A TCP proxy between salve and PostgreSQL for fault tests. It only stops reading (sockets paused): the kernel
 * buffers fill and the sender blocks, exactly what a silent network partition looks like to both ends.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let partitioned = false;

  /** One direction, by hand rather than pipe(): pipe would resume a stalled socket on the next drain. */
  const forward = (pair: Pair, from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => {
          if (!pair.stalled) from.resume();
        });
      }
    });
  };

  const connectUpstream = (pair: Pair) => {
    const upstream = net.connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on('error', () => pair.client.destroy());
    upstream.on('close', () => pair.client.destroy());
    forward(pair, pair.client, upstream);
    forward(pair, upstream, pair.client);
    if (pair.stalled) upstream.pause();
  };

  const server = net.createServer((client) => {
    const pair: Pair = { client, upstream: null, stalled: partitioned };
    pairs.add(pair);
    client.on('error', () => pair.upstream?.destroy());
    client.on('close', () => {
      pair.upstream?.destroy();
      pairs.delete(pair);
    });
    if (partitioned) client.pause();
    else connectUpstream(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;

  const stall = (pair: Pair) => {
    pair.stalled = true;
    pair.client.pause();
    pair.upstream?.pause();
  };

  return {
    host: '127.0.0.1',
    port,
    via(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    blackhole() {
      partitioned = true;
      for (const pair of pairs) stall(pair);
    },
    stallEstablished() {
      for (const pair of pairs) stall(pair);
    },
    heal() {
      partitioned = false;
      for (const pair of pairs) {
        pair.stalled = false;
        if (pair.upstream === null) connectUpstream(pair);
        pair.client.resume();
        pair.upstream?.resume();
      }
    },
    connections: () => pairs.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of pairs) {
          pair.client.destroy();
          pair.upstream?.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
