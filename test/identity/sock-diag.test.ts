// The native sock_diag lookup gives the same inode as /proc/net/tcp for real connections (IPv4, IPv6,
// IPv4 on a dual-stack listener), says "not found" for a tuple that does not exist, and is in use on
// Linux (npm install builds it; the suite fails if it did not, rather than silently measuring /proc).
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { sockDiagAvailable, sockDiagInode } from '../../src/core/identity/sock-diag.js';
import { findClientInodeInProc } from '../../src/core/identity/tcp-table.js';

const servers: Server[] = [];
const clients: Socket[] = [];

async function accepted(listenHost: string, connectHost: string): Promise<Socket> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, listenHost, resolve));
  const socket = new Promise<Socket>((resolve) => server.once('connection', resolve));
  clients.push(connect((server.address() as { port: number }).port, connectHost));
  return socket;
}

const ends = (s: Socket) =>
  [
    { address: s.remoteAddress!, port: s.remotePort! },
    { address: s.localAddress!, port: s.localPort! },
  ] as const;

afterAll(() => {
  clients.forEach((c) => c.destroy());
  servers.forEach((s) => s.close());
});

describe.runIf(process.platform === 'linux')('sock_diag', () => {
  it('is built and in use', () => {
    expect(sockDiagAvailable()).toBe(true);
  });

  for (const [name, listen, dial] of [
    ['IPv4', '127.0.0.1', '127.0.0.1'],
    ['IPv6', '::1', '::1'],
    ['IPv4 on a dual-stack listener', '::', '127.0.0.1'],
  ] as const) {
    it(`finds the client socket's inode, as /proc does (${name})`, async () => {
      const server = await accepted(listen, dial);
      const [peer, local] = ends(server);
      const inode = sockDiagInode(peer, local);
      expect(typeof inode).toBe('number');
      expect(inode).toBe(await findClientInodeInProc(peer, local));
    });
  }

  it('a connection that does not exist is not found', () => {
    expect(sockDiagInode({ address: '127.0.0.1', port: 1 }, { address: '127.0.0.1', port: 2 })).toBeUndefined();
    expect(sockDiagInode({ address: 'not an address', port: 1 }, { address: '127.0.0.1', port: 2 })).toBeUndefined();
  });
});
