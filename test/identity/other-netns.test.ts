// Identity trick 3: agents in network namespaces of their own (`run --isolate`). Their connections reach the
// proxy over a veth pair, so their sockets are not in the core's tables. Root only (namespaces and veths);
// CI runs as root. Each test makes its own namespaces and links, with unique names, in 198.18.0.0/15 (the
// benchmarking range, unused here) so parallel tests elsewhere cannot collide with them.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sockDiagInodeInNetns } from '../../src/core/identity/sock-diag.js';
import { identifySocket } from '../../src/core/identity/socket-owner.js';
import { findClientInodeInProc } from '../../src/core/identity/tcp-table.js';
import { CURL, PYTHON, root, run, startIdentityProxy, statusOf, until, works, type IdentityProxy } from './harness.js';

const usable = root && CURL !== undefined && PYTHON !== undefined && works(['ip', '-V']);
const cleanups: Array<() => void> = [];

/** A namespace reached from ours over a veth pair: `host` is our side's address, `inside` the namespace's. */
function namespaceWithLink(): { name: string; host: string; inside: string } {
  const id = randomBytes(3).toString('hex');
  const name = `ostid-${id}`;
  const [outer, inner] = [`ostio${id}`, `ostii${id}`];
  const [a, b, c] = [...randomBytes(3)];
  const prefix = `198.${18 + (a & 1)}.${b}`;
  const block = (c % 64) * 4; // a /30: .block+1 ours, .block+2 the namespace's
  const host = `${prefix}.${block + 1}`;
  const inside = `${prefix}.${block + 2}`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  ip('netns', 'add', name);
  cleanups.push(() => {
    for (const args of [
      ['netns', 'del', name],
      ['link', 'del', outer],
    ]) {
      try {
        ip(...args);
      } catch {
        // already gone (deleting the namespace removes the pair)
      }
    }
  });
  ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
  ip('link', 'set', inner, 'netns', name);
  ip('addr', 'add', `${host}/30`, 'dev', outer);
  ip('link', 'set', outer, 'up');
  ip('-n', name, 'link', 'set', 'lo', 'up');
  ip('-n', name, 'addr', 'add', `${inside}/30`, 'dev', inner);
  ip('-n', name, 'link', 'set', inner, 'up');
  return { name, host, inside };
}

/** A namespace with no link at all, whose loopback carries the very addresses of `like` (a decoy). */
function lookalikeNamespace(like: { host: string; inside: string }): string {
  const name = `ostid-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  cleanups.push(() => execFileSync('ip', ['netns', 'del', name]));
  for (const address of [like.host, like.inside]) execFileSync('ip', ['-n', name, 'addr', 'add', `${address}/32`, 'dev', 'lo']);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

const freePort = () => 20_000 + (randomBytes(2).readUInt16BE() % 30_000);

let ns: { name: string; host: string; inside: string };
let proxy: IdentityProxy;

beforeAll(async () => {
  if (!usable) return;
  ns = namespaceWithLink();
  proxy = await startIdentityProxy([CURL!], ns.host);
});
afterAll(async () => {
  await proxy?.close();
  for (const clean of cleanups.splice(0).reverse()) clean();
});

/** curl inside namespace `name` asking the proxy for `path`; `register` makes it an agent of the core. */
async function curlInside(name: string, path: string, options: { register?: boolean; localPort?: number } = {}) {
  const before = proxy.seen.length;
  const extra = options.localPort ? ['--local-port', String(options.localPort)] : [];
  const { child, output } = run([
    'ip',
    'netns',
    'exec',
    name,
    CURL!,
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    ...extra,
    '-x',
    `http://${proxy.host}:${proxy.port}`,
    `http://allowed.test:${proxy.upstreamPort}${path}`,
  ]);
  // `ip netns exec` execs the command: the child's pid is curl's.
  if (options.register) proxy.agents.add(child.pid!);
  const { stdout } = await output;
  proxy.agents.delete(child.pid!);
  return { status: Number(stdout), who: proxy.seen[before], pid: child.pid };
}

describe.runIf(usable)('an agent in a network namespace of its own', () => {
  it("is named by its own binary (the core's tables do not hold its socket; its namespace's do)", async () => {
    const r = await curlInside(ns.name, '/registered', { register: true });
    expect(r.status).toBe(200);
    expect(r.who).toMatchObject({ binary: CURL, pid: r.pid });
  });

  it('is found without being registered: every namespace on the machine is asked', async () => {
    const r = await curlInside(ns.name, '/unregistered');
    expect(r.status).toBe(200);
    expect(r.who).toMatchObject({ binary: CURL, pid: r.pid });
  });

  it('reading /proc/<pid>/net/tcp (the way without root) finds the same socket as sock_diag inside the namespace', async () => {
    const server = createServer();
    server.listen(0, ns.host);
    await once(server, 'listening');
    cleanups.push(() => server.close());
    const accepted = once(server, 'connection').then(([s]) => s as Socket);
    const { child } = run([
      'ip',
      'netns',
      'exec',
      ns.name,
      PYTHON!,
      '-c',
      `import socket, time\ns = socket.create_connection(('${ns.host}', ${(server.address() as AddressInfo).port}))\nprint('up', flush=True)\ntime.sleep(30)`,
    ]);
    cleanups.push(() => child.kill('SIGKILL'));
    const socket = await accepted;
    const peer = { address: socket.remoteAddress!, port: socket.remotePort! };
    const local = { address: socket.localAddress!, port: socket.localPort! };
    const viaProc = await findClientInodeInProc(peer, local, `/proc/${child.pid}/net`);
    expect(viaProc).toBeGreaterThan(0);
    expect(sockDiagInodeInNetns(child.pid!, peer, local)).toBe(viaProc);
    expect(await findClientInodeInProc(peer, local)).toBeUndefined(); // not in ours
    expect(await identifySocket(peer, local, { agentPids: [child.pid!] })).toMatchObject({ binary: PYTHON, pid: child.pid });
    socket.destroy();
  });
});

describe.runIf(usable)('a core that is not root', () => {
  it('finds an agent in another namespace by reading /proc/<pid>/net/tcp (it cannot enter the namespace)', async () => {
    // The core runs as nobody; so does the agent (inside the namespace root made), as `run --user` would.
    const core = run(
      [
        'setpriv',
        '--reuid=nobody',
        '--regid=nogroup',
        '--clear-groups',
        process.execPath,
        '--import',
        'tsx',
        join(import.meta.dirname, 'fixtures', 'identity-proxy.ts'),
        ns.host,
        CURL!,
      ],
      { cwd: join(import.meta.dirname, '..', '..') },
    );
    cleanups.push(() => core.child.kill('SIGKILL'));
    const lines: string[] = [];
    let buffered = '';
    core.child.stdout!.on('data', (d) => {
      buffered += d;
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts);
    });
    await until(() => lines.length > 0, 'the unprivileged core');
    const { port, upstreamPort, uid } = JSON.parse(lines[0]) as { port: number; upstreamPort: number; uid: number };
    expect(uid).not.toBe(0);
    const agent = run([
      'ip',
      'netns',
      'exec',
      ns.name,
      'setpriv',
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
      CURL!,
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-x',
      `http://${ns.host}:${port}`,
      `http://allowed.test:${upstreamPort}/as-nobody`,
    ]);
    const { stdout } = await agent.output;
    await until(() => lines.length > 1, 'an identity');
    expect(JSON.parse(lines[1])).toMatchObject({ binary: CURL, pid: agent.child.pid });
    expect(stdout).toBe('200');
  });
});

describe.runIf(usable)('a decoy: the same address pair in a namespace the attacker made', () => {
  /** Starts, in a lookalike namespace, a listener on the proxy's address and `client` (which connects to it). */
  async function decoy(client: string[]) {
    const fake = lookalikeNamespace(ns);
    const listener = run([
      'ip',
      'netns',
      'exec',
      fake,
      PYTHON!,
      '-c',
      `import socket, time\nl = socket.create_server(('${ns.host}', ${proxy.port}))\nprint('listening', flush=True)\nc = l.accept()\nprint('accepted', flush=True)\ntime.sleep(30)`,
    ]);
    cleanups.push(() => listener.child.kill('SIGKILL'));
    let said = '';
    listener.child.stdout!.on('data', (d) => (said += d));
    await until(() => said.includes('listening'), 'the decoy listener');
    const connected = run(['ip', 'netns', 'exec', fake, ...client]);
    cleanups.push(() => connected.child.kill('SIGKILL'));
    await until(() => said.includes('accepted'), 'the decoy connection');
    return fake;
  }

  it('an allowed curl in a lookalike namespace lends nothing to python connecting from the same port for real', async () => {
    const port = freePort();
    await decoy([
      CURL!,
      '-s',
      '--max-time',
      '30',
      '--local-port',
      String(port),
      '--interface',
      ns.inside,
      `http://${ns.host}:${proxy.port}/`,
    ]);
    const before = proxy.seen.length;
    const { output } = run([
      'ip',
      'netns',
      'exec',
      ns.name,
      PYTHON!,
      '-c',
      `import socket\ns = socket.socket()\ns.bind(('${ns.inside}', ${port}))\ns.connect(('${ns.host}', ${proxy.port}))\ns.sendall(${JSON.stringify(proxy.request('/decoy'))}.encode())\nprint(s.recv(100).decode().split('\\r\\n')[0], flush=True)`,
    ]);
    const { stdout, stderr } = await output;
    expect(statusOf(stdout), stderr).toBe(403);
    expect(proxy.seen[before].binary).toBe('unknown');
    expect(proxy.seen[before].reason).toContain('network namespaces');
    expect(proxy.served).not.toContain('/decoy');
  });

  it("a registered agent's namespace is asked first, so its own connection is still named", async () => {
    const port = freePort();
    await decoy([
      PYTHON!,
      '-c',
      `import socket, time\ns = socket.socket()\ns.bind(('${ns.inside}', ${port}))\ns.connect(('${ns.host}', ${proxy.port}))\ntime.sleep(30)`,
    ]);
    const r = await curlInside(ns.name, '/registered-despite-decoy', { register: true, localPort: port });
    expect(r.status).toBe(200);
    expect(r.who).toMatchObject({ binary: CURL, pid: r.pid });
  });
});
