// Every holder of a socket: the native scan (on a worker thread) and the JavaScript one, against real
// sockets held by real processes; and socketIdentifier naming many short connections in a row.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { nativeIdentity } from '../../src/core/identity/native-addon.js';
import { quickProcessTree } from '../../src/core/identity/process-tree.js';
import { socketIdentifier } from '../../src/core/identity/identify-socket.js';
import { sockDiagInode } from '../../src/core/identity/sock-diag.js';
import { scanInJavaScript, socketHolders } from '../../src/core/identity/socket-holders.js';
import type { ClientIdentity } from '../../src/core/proxy/egress-proxy.js';
import { NODE } from './harness.js';

const linux = process.platform === 'linux';
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const clean of cleanups.splice(0)) clean();
});

async function server(): Promise<{ server: Server; port: number }> {
  const s = createServer({ allowHalfOpen: true });
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  cleanups.push(() => s.close());
  return { server: s, port: (s.address() as AddressInfo).port };
}

function child(script: string, env: Record<string, string> = {}): ChildProcess {
  const c = spawn(process.execPath, ['-e', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => c.kill('SIGKILL'));
  return c;
}

/** A connection from a child process (which prints its children's pids, if any, once it is connected). */
async function childConnection(script: string): Promise<{ holder: ChildProcess; inode: number; accepted: Socket; line: string }> {
  const { server: s, port } = await server();
  const accepted = once(s, 'connection').then(([socket]) => socket as Socket);
  const holder = child(script, { PORT: String(port) });
  const [line] = (await once(holder.stdout!, 'data')) as [Buffer];
  const socket = await accepted;
  socket.on('error', () => {});
  cleanups.push(() => socket.destroy());
  const inode = sockDiagInode(
    { address: socket.remoteAddress!, port: socket.remotePort! },
    { address: socket.localAddress!, port: socket.localPort! },
  );
  return { holder, inode: inode as number, accepted: socket, line: String(line).trim() };
}

const CONNECT = `const s = require('net').connect(Number(process.env.PORT), '127.0.0.1', () => console.log('up')); setInterval(() => {}, 1 << 30);`;

describe.runIf(linux)('every holder', () => {
  it('the native scan is built (npm install builds it) and names the holder, its fd, binary and namespaces', async () => {
    expect(nativeIdentity).toBeDefined();
    const { holder, inode } = await childConnection(CONNECT);
    const { holders, unreadable } = await socketHolders(inode);
    expect(holders).toEqual([
      {
        pid: holder.pid,
        fd: expect.any(Number),
        exe: NODE,
        exeDev: expect.any(Number),
        exeIno: expect.any(Number),
        userNs: expect.any(Number),
      },
    ]);
    expect(unreadable).toEqual(expect.any(Number)); // processes whose fd links are closed to the core (other users', without root)
  });

  it('finds each process holding the socket, the JavaScript scan as the native one', async () => {
    // The child passes its connected socket to a grandchild as fd 3: two holders.
    const { holder, inode, line } = await childConnection(`
const s = require('net').connect(Number(process.env.PORT), '127.0.0.1', () => {
  const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: ['ignore', 'ignore', 'inherit', s] });
  c.on('spawn', () => console.log(c.pid));
});
setInterval(() => {}, 1 << 30);`);
    const grandchild = Number(line);
    cleanups.push(() => process.kill(grandchild, 'SIGKILL'));
    const native = (await socketHolders(inode)).holders;
    expect(native.map((h) => h.pid).sort()).toEqual([holder.pid, grandchild].sort());
    const javascript = (await scanInJavaScript(new Set([inode]))).holders.get(inode)!;
    expect(
      javascript.map(({ pid, exe, exeDev, exeIno, userNs }) => ({ pid, exe, exeDev, exeIno, userNs })).sort((a, b) => a.pid - b.pid),
    ).toEqual(native.map(({ pid, exe, exeDev, exeIno, userNs }) => ({ pid, exe, exeDev, exeIno, userNs })).sort((a, b) => a.pid - b.pid));
  });

  it('concurrent lookups share scans, and each gets its own holders', async () => {
    const connections = await Promise.all([CONNECT, CONNECT, CONNECT].map((script) => childConnection(script)));
    const answers = await Promise.all(connections.map(({ inode }) => socketHolders(inode)));
    expect(answers.map((a) => a.holders.map((h) => h.pid))).toEqual(connections.map(({ holder }) => [holder.pid]));
  });

  it("skips the core's own process, and finds nothing once the holder is gone", async () => {
    const { server: s, port } = await server();
    const accepted = once(s, 'connection').then(([socket]) => socket as Socket);
    const own = connect(port, '127.0.0.1');
    cleanups.push(() => own.destroy());
    await once(own, 'connect');
    const socket = await accepted;
    const inode = sockDiagInode(
      { address: socket.remoteAddress!, port: socket.remotePort! },
      { address: socket.localAddress!, port: socket.localPort! },
    );
    expect((await socketHolders(inode as number)).holders).toEqual([]);
    const { holder, inode: other } = await childConnection(CONNECT);
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    expect((await socketHolders(other)).holders).toEqual([]);
  });

  it('rejects arguments of the wrong type', () => {
    expect(() => nativeIdentity!.scanHolders([1] as unknown as Uint32Array, 1)).toThrow(TypeError);
    expect(() => nativeIdentity!.scanHolders(new Int32Array(1) as unknown as Uint32Array, 1)).toThrow(TypeError);
    expect(() => nativeIdentity!.scanHolders(new Uint32Array(1), 'x' as unknown as number)).toThrow(TypeError);
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
  it('names each of many short connections from a child correctly', async () => {
    const { server: s, port } = await server();
    const identify = socketIdentifier();
    const answers: ClientIdentity[] = [];
    s.on('connection', (socket: Socket) => {
      socket.on('error', () => {});
      void identify(socket).then((who) => {
        answers.push(who);
        socket.end('x');
      });
    });
    const client = child(`
      const net = require('net'); let n = 0;
      const next = () => { const s = net.connect(${port}, '127.0.0.1'); s.on('data', () => { s.destroy(); if (++n < 50) next(); else console.log('done'); }); s.on('error', next); };
      next(); next(); next();`);
    await once(client.stdout!, 'data');
    expect(answers.length).toBeGreaterThanOrEqual(50);
    expect(answers.filter((a) => a.binary !== NODE || a.pid !== client.pid)).toEqual([]);
  });

  it('names an agent it is given first', async () => {
    const { holder, accepted } = await childConnection(CONNECT);
    const identify = socketIdentifier(() => [holder.pid!]);
    expect(await identify(accepted)).toEqual({ binary: NODE, pid: holder.pid });
  });
});
