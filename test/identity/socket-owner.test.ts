// identifySocket against real sockets held by real processes: a server in this process, clients in
// children (and grandchildren) spawned from this Node binary.
import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { identifySocket, type Endpoint, type OwnerLookupOptions } from '../../src/core/identity/socket-owner.js';
import { processTree } from '../../src/core/identity/process-tree.js';

const linux = process.platform === 'linux';
const NODE = realpathSync(process.execPath);
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const clean of cleanups.splice(0)) clean();
});

/** pid and binary, or undefined when the binary is unknown. */
async function findSocketOwner(peer: Endpoint, local: Endpoint, options: OwnerLookupOptions = {}) {
  const verdict = await identifySocket(peer, local, options);
  return verdict.binary === 'unknown' ? undefined : { pid: verdict.pid, exe: verdict.binary };
}

interface Listening {
  port: number;
  /** The next connection the server accepts. */
  accepted: Promise<Socket>;
}

async function listen(host: string): Promise<Listening> {
  // Half-open allowed: when a client dies, our end stays open (CLOSE_WAIT) as in a proxy mid-request.
  const server: Server = createServer({ allowHalfOpen: true });
  const accepted = once(server, 'connection').then(([socket]) => socket as Socket);
  server.listen(0, host);
  await once(server, 'listening');
  cleanups.push(() => server.close());
  accepted.then(
    (socket) => cleanups.push(() => socket.destroy()),
    () => {},
  );
  return { port: (server.address() as AddressInfo).port, accepted };
}

/** Runs `script` in a child Node process (own process group, so grandchildren die with it). */
function node(script: string, env: Record<string, string>): ChildProcess & { lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  child.stdout!.setEncoding('utf8');
  async function* lines() {
    let buffered = '';
    for await (const chunk of child.stdout!) {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        yield buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
      }
    }
  }
  return Object.assign(child, { lines: lines() });
}

async function nextLine(child: { lines: AsyncIterator<string> }): Promise<string> {
  const { value, done } = await child.lines.next();
  if (done) throw new Error('child exited before printing');
  return value;
}

// Connects to HOST:PORT, says so, and stays connected.
const CONNECT = `
const s = require('net').connect(Number(process.env.PORT), process.env.HOST, () => console.log('connected'));
s.on('error', (e) => { console.error(e); process.exit(2); });
setInterval(() => {}, 1 << 30);`;

// Spawns CONNECT as a grandchild and prints its pid.
const SPAWN_CONNECTOR = `
const child = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(CONNECT)}], { stdio: ['ignore', 'pipe', 'inherit'] });
child.stdout.once('data', () => console.log(child.pid));
setInterval(() => {}, 1 << 30);`;

function endpoints(socket: Socket) {
  return [
    { address: socket.remoteAddress!, port: socket.remotePort! },
    { address: socket.localAddress!, port: socket.localPort! },
  ] as const;
}

async function connectChild(serverHost: string, dialHost = serverHost) {
  const server = await listen(serverHost);
  const child = node(CONNECT, { HOST: dialHost, PORT: String(server.port) });
  expect(await nextLine(child)).toBe('connected');
  return { child, socket: await server.accepted };
}

async function canListen(host: string): Promise<boolean> {
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(0, host, () => probe.close(() => resolve(true)));
  });
}

describe.skipIf(!linux)('identifySocket', () => {
  it('names the child process and binary at the client end (whole-table scan)', async () => {
    const { child, socket } = await connectChild('127.0.0.1');
    const owner = await findSocketOwner(...endpoints(socket));
    expect(owner).toEqual({ pid: child.pid, exe: NODE });
  });

  it('names a grandchild of an agent, the agent tree first', async () => {
    const server = await listen('127.0.0.1');
    const child = node(SPAWN_CONNECTOR, { HOST: '127.0.0.1', PORT: String(server.port) });
    const grandchild = Number(await nextLine(child));
    const socket = await server.accepted;
    const agentPids = await processTree(child.pid!);
    expect(agentPids).toContain(grandchild);
    expect(await findSocketOwner(...endpoints(socket), { agentPids })).toEqual({ pid: grandchild, exe: NODE });
  });

  it('agent pids that do not hold the socket (or are no pids) change nothing: every process is read', async () => {
    const { child, socket } = await connectChild('127.0.0.1');
    const owner = await findSocketOwner(...endpoints(socket), { agentPids: [process.pid, -1, 0, Number.NaN] });
    expect(owner).toEqual({ pid: child.pid, exe: NODE });
  });

  it('finds an IPv6 (::1) client', async (context) => {
    if (!(await canListen('::1'))) return context.skip();
    const { child, socket } = await connectChild('::1');
    expect(socket.remoteAddress).toBe('::1');
    expect(await findSocketOwner(...endpoints(socket))).toEqual({ pid: child.pid, exe: NODE });
  });

  it('finds an IPv4 client seen by a dual-stack server as ::ffff:127.0.0.1', async (context) => {
    if (!(await canListen('::'))) return context.skip();
    const { child, socket } = await connectChild('::', '127.0.0.1');
    expect(socket.remoteAddress).toBe('::ffff:127.0.0.1');
    expect(await findSocketOwner(...endpoints(socket))).toEqual({ pid: child.pid, exe: NODE });
  });

  it('finds a client that dialled from an IPv6 socket to an IPv4-mapped address (its row is in tcp6)', async (context) => {
    if (!(await canListen('::1'))) return context.skip(); // needs IPv6 sockets at all
    const { child, socket } = await connectChild('127.0.0.1', '::ffff:127.0.0.1');
    expect(socket.remoteAddress).toBe('127.0.0.1');
    expect(await findSocketOwner(...endpoints(socket))).toEqual({ pid: child.pid, exe: NODE });
  });

  it('answers concurrent lookups for many connections (they share table reads)', async () => {
    const count = 20;
    const server = createServer({ allowHalfOpen: true });
    const sockets: Socket[] = [];
    server.on('connection', (socket) => sockets.push(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => {
      sockets.forEach((socket) => socket.destroy());
      server.close();
    });
    const script = `
const net = require('net');
let open = 0;
for (let i = 0; i < ${count}; i++) net.connect(${(server.address() as AddressInfo).port}, '127.0.0.1', () => ++open === ${count} && console.log('connected'));
setInterval(() => {}, 1 << 30);`;
    const child = node(script, {});
    expect(await nextLine(child)).toBe('connected');
    while (sockets.length < count) await new Promise((resolve) => setImmediate(resolve));
    const owners = await Promise.all(sockets.map((socket) => findSocketOwner(...endpoints(socket))));
    expect(owners).toEqual(Array(count).fill({ pid: child.pid, exe: NODE }));
  });

  it('is unknown, with the reason, once the client has exited', async () => {
    const { child, socket } = await connectChild('127.0.0.1');
    const [peer, local] = endpoints(socket);
    expect(await findSocketOwner(peer, local)).toEqual({ pid: child.pid, exe: NODE });
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    expect(socket.destroyed).toBe(false); // our end is still open; theirs is closed or orphaned (inode 0)
    const verdict = await identifySocket(peer, local);
    expect(verdict).toMatchObject({ binary: 'unknown', holders: [] });
    expect(verdict.reason).toBeTruthy();
  });

  it('names every holder: a forked child running the same binary makes no difference', async () => {
    const server = await listen('127.0.0.1');
    // The child's own child inherits the connected socket (spawned with it as fd 3): two holders, one binary.
    const script = `
const s = require('net').connect(Number(process.env.PORT), '127.0.0.1', () => {
  const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: ['ignore', 'ignore', 'inherit', s] });
  c.on('spawn', () => console.log(c.pid));
});
setInterval(() => {}, 1 << 30);`;
    const child = node(script, { PORT: String(server.port) });
    const grandchild = Number(await nextLine(child));
    const verdict = await identifySocket(...endpoints(await server.accepted));
    expect(verdict).toMatchObject({ binary: NODE });
    expect(verdict.holders.map((h) => h.pid).sort()).toEqual([child.pid, grandchild].sort());
  });

  it('is unknown for addresses and ports that cannot be a connection', async () => {
    const local = { address: '127.0.0.1', port: 8080 };
    expect(await findSocketOwner({ address: 'not-an-ip', port: 1234 }, local)).toBeUndefined();
    expect(await findSocketOwner({ address: '127.0.0.1', port: 0 }, local)).toBeUndefined();
    expect(await findSocketOwner({ address: '127.0.0.1', port: 70_000 }, local)).toBeUndefined();
    expect(await findSocketOwner({ address: '::1', port: 1234 }, local)).toBeUndefined(); // mixed families
    expect(await findSocketOwner({ address: '127.0.0.1', port: 1 }, local)).toBeUndefined(); // no such connection
  });
});
