// Small real upstream servers for proxy tests.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startUpstream(body = 'hello from upstream'): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-seen-path': req.url ?? '' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}
