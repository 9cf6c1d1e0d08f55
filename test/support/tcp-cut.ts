import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP relay in front of a local service whose path the test can cut: every open
 * connection is reset and new ones are refused, as when the service's host goes away, until the
 * path is mended on the same port. Fault tests put it in front of DynamoDB Local.
 */
export interface TcpCut {
  readonly endpoint: string;
  /** Resets every connection and refuses new ones; resolves once the port no longer listens. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  mend(): Promise<void>;
  close(): Promise<void>;
}

export async function tcpCut(targetPort: number): Promise<TcpCut> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const relay = (client: Socket) => {
    track(client);
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    // Either side failing resets the other, as a broken path does.
    client.once('error', () => upstream.resetAndDestroy());
    upstream.once('error', () => client.resetAndDestroy());
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  };
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const srv = createServer(relay);
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => resolve(srv));
    });
  let server: Server | undefined = await listen(0);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const cut = async () => {
    const srv = server;
    server = undefined;
    for (const s of sockets) s.resetAndDestroy();
    if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    cut,
    async mend() {
      if (!server) server = await listen(port);
    },
    close: cut,
  };
}
