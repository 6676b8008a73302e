// Plain CONNECT tunnels, relayed in the kernel (splice) when the native relay is built and through Node
// streams otherwise: both must carry the same bytes the same way. Real sockets: a client, the proxy, and
// an upstream that echoes, greets first, or half-closes.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { Resolver } from '../../src/core/net/resolver.js';
import { EgressProxy } from '../../src/core/proxy/egress-proxy.js';
import { SpliceRelay } from '../../src/core/proxy/splice-relay.js';

const linux = process.platform === 'linux';
let upstream: Server;
let upstreamPort: number;

beforeAll(async () => {
  // "greet" sends a banner before reading anything (server-first protocols); "echo" echoes and, when the
  // client half-closes, answers with the byte count and a sha256 of what it got, then closes.
  upstream = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    const hash = createHash('sha256');
    let bytes = 0;
    socket.write('hello from upstream\n');
    socket.on('data', (d) => {
      bytes += d.length;
      hash.update(d);
      socket.write(d);
    });
    socket.on('end', () => socket.end(`\n${bytes} ${hash.digest('hex')}\n`));
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  upstreamPort = (upstream.address() as AddressInfo).port;
});

afterAll(() => upstream.close());

async function startProxy(splice: boolean) {
  const core = new EnforcementCore({
    baseline: {
      version: 1,
      network_policies: { t: { name: 't', endpoints: [{ host: 'tunnel.test', port: upstreamPort }], binaries: [{ path: '**' }] } },
    },
    holdTimeoutMs: 0,
  });
  const proxy = new EgressProxy({ core, resolver: new Resolver([`tunnel.test:127.0.0.1`]), allowLoopback: true, splice });
  const { port } = await proxy.listen('127.0.0.1', 0);
  return { core, proxy, port };
}

/** Opens a tunnel; `early` is sent right behind the CONNECT, before the 200 arrives. Resolves after the 200. */
async function tunnel(proxyPort: number, early = ''): Promise<{ socket: Socket; received: () => Buffer; ended: Promise<void> }> {
  const socket = connect(proxyPort, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(`CONNECT tunnel.test:${upstreamPort} HTTP/1.1\r\nHost: tunnel.test:${upstreamPort}\r\n\r\n${early}`);
  const chunks: Buffer[] = [];
  socket.on('data', (d) => chunks.push(d));
  const ended = once(socket, 'end').then(() => undefined);
  while (!Buffer.concat(chunks).includes('\r\n\r\n')) await once(socket, 'data');
  const all = Buffer.concat(chunks);
  expect(all.subarray(0, 12).toString()).toBe('HTTP/1.1 200');
  const start = all.indexOf('\r\n\r\n') + 4;
  return { socket, received: () => Buffer.concat(chunks).subarray(start), ended };
}

const modes = [
  ['spliced in the kernel', true],
  ['piped through Node streams', false],
] as const;

describe.each(modes)('a CONNECT tunnel %s', (_name, splice) => {
  const wantSplice = splice && linux;
  let proxy: EgressProxy;
  let port: number;
  let core: EnforcementCore;
  beforeAll(async () => {
    ({ proxy, port, core } = await startProxy(splice));
  });
  afterAll(async () => {
    core.shutdown();
    await proxy.close();
  });

  if (wantSplice) {
    it('uses the native relay (npm install builds it on Linux)', () => {
      expect(SpliceRelay.load()).toBeDefined();
    });
  }

  it('carries 8 MiB each way intact, delivers the server-first greeting, and propagates the half-close both ways', async () => {
    const before = proxy.stats.splicedTunnels;
    const t = await tunnel(port);
    const payload = randomBytes(8 * 1024 * 1024);
    t.socket.end(payload);
    await t.ended;
    const got = t.received();
    const greeting = 'hello from upstream\n';
    expect(got.subarray(0, greeting.length).toString()).toBe(greeting);
    const echoed = got.subarray(greeting.length, greeting.length + payload.length);
    expect(echoed.equals(payload)).toBe(true);
    const trailer = got.subarray(greeting.length + payload.length).toString();
    expect(trailer).toBe(`\n${payload.length} ${createHash('sha256').update(payload).digest('hex')}\n`);
    expect(proxy.stats.splicedTunnels - before).toBe(wantSplice ? 1 : 0);
  });

  it('forwards bytes the client sent right behind the CONNECT, before the 200', async () => {
    const t = await tunnel(port, 'pipelined-bytes');
    t.socket.end();
    await t.ended;
    expect(t.received().toString()).toBe(
      `hello from upstream\npipelined-bytes\n15 ${createHash('sha256').update('pipelined-bytes').digest('hex')}\n`,
    );
  });

  it('keeps 50 concurrent tunnels apart', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const t = await tunnel(port);
        const payload = Buffer.from(`tunnel ${i} `.repeat(1000));
        t.socket.end(payload);
        await t.ended;
        return t
          .received()
          .subarray(20, 20 + payload.length)
          .equals(payload);
      }),
    );
    expect(results.every(Boolean)).toBe(true);
  });

  it('a client that vanishes mid-transfer ends its tunnel and leaves the proxy serving', async () => {
    const t = await tunnel(port);
    t.socket.write(randomBytes(1024 * 1024));
    t.socket.resetAndDestroy();
    const next = await tunnel(port);
    next.socket.end('still here');
    await next.ended;
    expect(next.received().toString()).toContain('still here');
  });
});

describe.runIf(linux)('the kernel relay', () => {
  it('leaks no fds: after 200 tunnels only its pool of empty pipes remains, and nothing is active', async () => {
    const { readdirSync } = await import('node:fs');
    const { proxy, port, core } = await startProxy(true);
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const t = await tunnel(port);
          t.socket.end('x');
          await t.ended;
          t.socket.destroy();
        }),
      );
    }
    const relay = SpliceRelay.load()!;
    for (let i = 0; i < 100 && relay.active > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(relay.active).toBe(0);
    expect(fds() - before).toBeLessThanOrEqual(2 * 2 * 128); // two pipes per tunnel, at most 128 pipes pooled
    core.shutdown();
    await proxy.close();
  });

  it('idle tunnels hold no pipes: 50 open tunnels that have carried data both ways hold none', async () => {
    const { proxy, port, core } = await startProxy(true);
    const relay = SpliceRelay.load()!;
    const tunnels = await Promise.all(Array.from({ length: 50 }, () => tunnel(port)));
    for (const t of tunnels) while (t.received().length < 20) await once(t.socket, 'data'); // the greeting came through
    await Promise.all(
      tunnels.map(async (t) => {
        t.socket.write('ping');
        while (!t.received().includes('ping')) await once(t.socket, 'data');
      }),
    );
    expect(relay.active).toBeGreaterThanOrEqual(50);
    expect(relay.pipesInUse).toBe(0);
    for (const t of tunnels) t.socket.destroy();
    core.shutdown();
    await proxy.close();
  });

  it('falls back to piping when it cannot take a tunnel, with no byte lost', async () => {
    const relay = SpliceRelay.load()! as unknown as { native: { start: (...args: unknown[]) => number } };
    const start = relay.native.start;
    relay.native.start = () => -1; // as when the process is out of fds
    const { proxy, port, core } = await startProxy(true);
    try {
      const t = await tunnel(port, 'pipelined-bytes');
      t.socket.end();
      await t.ended;
      expect(t.received().toString()).toBe(
        `hello from upstream\npipelined-bytes\n15 ${createHash('sha256').update('pipelined-bytes').digest('hex')}\n`,
      );
      expect(proxy.stats.splicedTunnels).toBe(0);
    } finally {
      relay.native.start = start;
      core.shutdown();
      await proxy.close();
    }
  });

  it('hands over prefixes too big for the socket buffers in one go, and delivers them whole', async () => {
    // A connected pair on each side: client <-> proxySide, upstreamSide <-> upstream.
    const pair = async () => {
      const server = createServer({ allowHalfOpen: true });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const outer = connect((server.address() as AddressInfo).port, '127.0.0.1');
      const [[inner]] = await Promise.all([once(server, 'connection') as Promise<[Socket]>, once(outer, 'connect')]);
      server.close();
      return { outer, inner: inner as Socket };
    };
    const client = await pair();
    const upstream = await pair();
    const toUpstream = randomBytes(16 * 1024 * 1024);
    const toClient = randomBytes(12 * 1024 * 1024);
    const relay = SpliceRelay.load()!;
    const relayed = relay.relay(client.inner, upstream.outer, toUpstream, toClient);
    expect(relayed).toBeDefined();
    // Neither reader starts for a moment, so neither prefix fits the socket buffers when it is handed over.
    await new Promise((r) => setTimeout(r, 100));
    // Both prefixes must arrive whole with nothing else happening on the sockets (no byte, no close), so
    // only the relay waiting for the sockets to drain can finish them.
    const readAll = (socket: Socket, size: number) =>
      new Promise<Buffer>((resolve) => {
        const chunks: Buffer[] = [];
        let got = 0;
        socket.on('data', (d: Buffer) => {
          chunks.push(d);
          got += d.length;
          if (got >= size) resolve(Buffer.concat(chunks));
        });
      });
    const [atUpstream, atClient] = await Promise.all([readAll(upstream.inner, toUpstream.length), readAll(client.outer, toClient.length)]);
    expect(atUpstream.equals(toUpstream)).toBe(true);
    expect(atClient.equals(toClient)).toBe(true);
    client.outer.end();
    upstream.inner.end();
    await relayed!.ended;
  });

  it('proxy.close() ends tunnels it relays', async () => {
    const { proxy, port, core } = await startProxy(true);
    const t = await tunnel(port);
    t.socket.write('x');
    const closed = once(t.socket, 'close');
    core.shutdown();
    await proxy.close();
    await closed;
  });
});
