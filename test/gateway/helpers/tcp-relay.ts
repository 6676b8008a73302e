// A TCP relay between a gRPC client and server, so a test can drop the connection under a live call
// without touching either end: cut() destroys every relayed connection; answering(false) keeps
// forwarding what the client sends but drops what the server answers (a call that is applied but
// whose answer is lost), as a network failing at the worst moment would.
import net from 'node:net';

export interface TcpRelay {
  port: number;
  cut(): void;
  answering(on: boolean): void;
  connections(): number;
  close(): Promise<void>;
}

export async function startTcpRelay(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  let answers = true;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => answers && client.write(d));
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    answering: (on) => (answers = on),
    connections: () => sockets.size / 2,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
