// The native fd search (findHolder) and what steers it: fd hints from closed connections, the `run` agent's
// process tree, and socketIdentifier wiring them together. Real sockets, real child processes, real /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readlinkSync, realpathSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nativeIdentity } from '../../src/core/identity/native-addon.js';
import { fdSearchPlan, forgetHolders, noteFdFreed, rememberHolder } from '../../src/core/identity/owner-cache.js';
import { quickProcessTree } from '../../src/core/identity/process-tree.js';
import { socketIdentifier } from '../../src/core/identity/identify-socket.js';
import { sockDiagInode } from '../../src/core/identity/sock-diag.js';
import type { ClientIdentity } from '../../src/core/proxy/egress-proxy.js';

const linux = process.platform === 'linux';
const NODE = realpathSync(process.execPath);
const cleanups: Array<() => void> = [];
beforeEach(() => forgetHolders());
afterEach(() => {
  for (const clean of cleanups.splice(0)) clean();
});

async function server(): Promise<{ server: Server; port: number }> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  cleanups.push(() => s.close());
  return { server: s, port: (s.address() as AddressInfo).port };
}

/** A connection from this process: our client socket's fd and inode, and the accepted end. */
async function ownConnection(): Promise<{ fd: number; inode: number; accepted: Socket; client: Socket }> {
  const { server: s, port } = await server();
  const accepted = once(s, 'connection').then(([socket]) => socket as Socket);
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  cleanups.push(() => client.destroy());
  const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
  const inode = Number(/socket:\[(\d+)\]/.exec(readlinkSync(`/proc/self/fd/${fd}`))![1]);
  return { fd, inode, accepted: await accepted, client };
}

function child(script: string, env: Record<string, string> = {}): ChildProcess {
  const c = spawn(process.execPath, ['-e', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => c.kill('SIGKILL'));
  return c;
}

describe.runIf(linux)('native findHolder', () => {
  it('is built (npm install builds it) and finds the fd and binary holding a socket, with or without hints', async () => {
    expect(nativeIdentity).toBeDefined();
    const { fd, inode } = await ownConnection();
    expect(nativeIdentity!.findHolder(process.pid, inode)).toEqual([fd, NODE]);
    expect(nativeIdentity!.findHolder(process.pid, inode, Int32Array.from([0, 1, fd]))).toEqual([fd, NODE]);
    // A wrong hint costs a read, never a wrong answer; nor does a scan start above or below it.
    expect(nativeIdentity!.findHolder(process.pid, inode, Int32Array.from([0, -5, 99999]))).toEqual([fd, NODE]);
    expect(nativeIdentity!.findHolder(process.pid, inode, undefined, fd + 1)).toEqual([fd, NODE]);
    expect(nativeIdentity!.findHolder(process.pid, inode, undefined, fd)).toEqual([fd, NODE]);
    expect(nativeIdentity!.findHolder(process.pid, inode, Int32Array.from([fd]), 100000)).toEqual([fd, NODE]);
  });

  it('says -1 for a process without that socket and -2 for no process or a kernel thread', async () => {
    const { inode } = await ownConnection();
    const other = child('setInterval(() => {}, 1 << 30)');
    await once(other, 'spawn');
    expect(nativeIdentity!.findHolder(other.pid!, inode)).toBe(-1);
    expect(nativeIdentity!.findHolder(2 ** 22 + 1, inode)).toBe(-2); // above pid_max's ceiling
    expect(nativeIdentity!.findHolder(2, inode)).toBe(-2); // kthreadd has no exe
  });

  it('keeps no stale answer for a process that exited after it was asked about', async () => {
    const { server: s, port } = await server();
    const accepted = once(s, 'connection').then(([socket]) => socket as Socket);
    const holder = child(
      `const s = require('net').connect(${port}, '127.0.0.1', () => console.log('up')); setInterval(() => {}, 1 << 30);`,
    );
    await once(holder.stdout!, 'data');
    const socket = await accepted;
    socket.on('error', () => {});
    const inode = sockDiagInode(
      { address: socket.remoteAddress!, port: socket.remotePort! },
      { address: socket.localAddress!, port: socket.localPort! },
    ) as number;
    expect(nativeIdentity!.findHolder(holder.pid!, inode)).toEqual([expect.any(Number), NODE]); // now cached
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    expect(nativeIdentity!.findHolder(holder.pid!, inode)).toBe(-2);
    expect(nativeIdentity!.findHolder(holder.pid!, inode)).toBe(-2);
  });

  it('rejects arguments of the wrong type', () => {
    expect(() => nativeIdentity!.findHolder(0, 1)).toThrow(TypeError);
    expect(() => nativeIdentity!.findHolder(1, 1, [1, 2] as unknown as Int32Array)).not.toThrow(); // not typed: no hints
    expect(() => nativeIdentity!.findHolder(1, 1, new Uint8Array(2) as unknown as Int32Array)).toThrow(TypeError);
  });
});

describe('fd hints', () => {
  it('are offered only for followed pids: closed connections (lowest fd first), the two fds above the newest, then open ones, oldest first', () => {
    expect(fdSearchPlan(4242).hints).toBeUndefined();
    rememberHolder(1, 4242, '30');
    rememberHolder(2, 4242, '12');
    rememberHolder(3, 4242, '25');
    rememberHolder(4, 4242, '40');
    noteFdFreed(4242, '40');
    noteFdFreed(4242, '25');
    expect([...fdSearchPlan(4242).hints!]).toEqual([25, 40, 41, 42, 30, 12]);
    // The fd is reused by a new connection: open again, and now the newest.
    rememberHolder(5, 4242, '25');
    expect([...fdSearchPlan(4242).hints!]).toEqual([40, 26, 27, 30, 12, 25]);
    noteFdFreed(9999, '1'); // a pid not followed: ignored
    expect(fdSearchPlan(9999).hints).toBeUndefined();
    // The rest of the table is read from just above the newest fd found (25 here), or from 0.
    expect(fdSearchPlan(4242).scanFrom).toBe(26);
    expect(fdSearchPlan(9999).scanFrom).toBe(0);
  });
});

describe.runIf(linux)('quickProcessTree', () => {
  it('lists the root, its children and grandchildren', async () => {
    const parent = child(`
      const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
      console.log(c.pid); setInterval(() => {}, 1 << 30);`);
    const [line] = await once(parent.stdout!, 'data');
    const grandchild = Number(String(line).trim());
    cleanups.push(() => process.kill(grandchild, 'SIGKILL'));
    expect(quickProcessTree(process.pid)).toEqual(expect.arrayContaining([process.pid, parent.pid, grandchild]));
    expect(quickProcessTree(parent.pid!)).toEqual([parent.pid, grandchild]);
    expect(quickProcessTree(-1)).toEqual([]);
    expect(quickProcessTree(2 ** 22 + 1)).toEqual([2 ** 22 + 1]); // gone: itself only, harmless as a hint
  });
});

describe.runIf(linux)('socketIdentifier', () => {
  it('names each of many short connections from a child correctly, and uses fd hints after the first', async () => {
    const { server: s, port } = await server();
    const identify = socketIdentifier();
    const answers: ClientIdentity[] = [];
    s.on('connection', (socket: Socket) => {
      socket.on('error', () => {});
      void identify(socket).then((who) => {
        answers.push(who);
        socket.once('close', () => who.closed?.());
        socket.end('x');
      });
    });
    const client = child(`
      const net = require('net'); let n = 0;
      const next = () => { const s = net.connect(${port}, '127.0.0.1'); s.on('data', () => { s.destroy(); if (++n < 50) next(); else console.log('done'); }); s.on('error', next); };
      next(); next(); next();`);
    await once(client.stdout!, 'data');
    expect(answers.length).toBeGreaterThanOrEqual(50);
    expect(answers.every((a) => a.binary === NODE && a.pid === client.pid && typeof a.closed === 'function')).toBe(true);
    expect(fdSearchPlan(client.pid!).hints?.length).toBeGreaterThan(0);
  });

  it('searches the agents it is given first', async () => {
    const { server: s, port } = await server();
    const agent = child(`const s = require('net').connect(${port}, '127.0.0.1', () => console.log('up')); setInterval(() => {}, 1 << 30);`);
    const accepted = once(s, 'connection').then(([socket]) => socket as Socket);
    await once(agent.stdout!, 'data');
    const identify = socketIdentifier(() => [agent.pid!]);
    expect(await identify(await accepted)).toMatchObject({ binary: NODE, pid: agent.pid });
  });
});
