// Pins down the egress proxy's HTTP/1.1 forwarding semantics over real sockets: body framing both ways
// (Content-Length, chunked, close-delimited), HEAD/204/304/1xx, pipelining, keep-alive, Host rewriting,
// hop-by-hop stripping, Expect, HTTP/1.0, upstream failures, upgrades and held requests with bodies.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { Resolver } from '../../src/core/net/resolver.js';
import { EgressProxy } from '../../src/core/proxy/egress-proxy.js';
import type { SandboxPolicy } from '../../src/core/policy/types.js';
import { curlVia } from '../helpers/curl.js';
import { destroyRawHttpClients, RawHttpClient } from '../helpers/raw-http-client.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const tick = () => new Promise((r) => setImmediate(r));

// --- upstreams -----------------------------------------------------------------------------------

interface Seen {
  method: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  sha: string;
  length: number;
  upgrade?: boolean;
}

/** What the upstreams received, by request target (origin-form path). */
const seen = new Map<string, Seen>();
let upstreamConnections = 0;

const BIG = randomBytes(8 * 1024 * 1024);
const CHUNKED_PARTS = [Buffer.from('alpha-'), Buffer.from('beta-'), randomBytes(100_000), Buffer.from('-gamma'), randomBytes(3_000)];
const CLOSE_BODY = randomBytes(256 * 1024);

let httpUpstream: Server;
let rawUpstream: ReturnType<typeof createNetServer>;
const rawUpstreamSockets = new Set<Socket>();
let httpPort: number;
let rawPort: number;
let deadPort: number;

let core: EnforcementCore;
let proxy: EgressProxy;
const extraProxies: EgressProxy[] = [];
let proxyPort: number;
let proxyUrl: string;
let tmp: string;

const target = (path: string, port = httpPort) => `http://allowed.test:${port}${path}`;
const get = (path: string, extra = '') => `GET ${target(path)} HTTP/1.1\r\nHost: allowed.test:${httpPort}\r\n${extra}\r\n`;

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

const listenOn = (server: { listen(port: number, host: string, cb: () => void): unknown; address(): unknown }) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

beforeAll(async () => {
  // Node's requireHostHeader is off so a request arriving without Host is recorded rather than refused.
  httpUpstream = createHttpServer({ requireHostHeader: false }, async (req, res) => {
    const chunks: Buffer[] = [];
    try {
      for await (const c of req) chunks.push(c as Buffer);
    } catch {
      return; // the proxy gave up on this request (a body that stalled): nothing to record or answer
    }
    const body = Buffer.concat(chunks);
    const url = req.url ?? '';
    seen.set(url, {
      method: req.method ?? '',
      httpVersion: req.httpVersion,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      sha: sha(body),
      length: body.length,
    });
    if (url.startsWith('/sha/')) return void res.end(`${sha(body)} ${body.length}`);
    switch (url) {
      case '/big':
        return void res.writeHead(200, { 'content-length': BIG.length }).end(BIG);
      case '/chunked':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (const part of CHUNKED_PARTS) {
          res.write(part);
          await tick();
        }
        return void res.end();
      case '/head':
        return void res.writeHead(200, { 'content-length': '12345' }).end();
      case '/status/204':
        return void res.writeHead(204).end();
      case '/status/304':
        return void res.writeHead(304, { etag: '"v1"' }).end();
      case '/cookies':
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
        return void res.end('cookies');
      case '/partial':
        res.writeHead(200, { 'content-length': 100_000 });
        return void res.write(Buffer.alloc(1_000, 1), () => res.socket?.destroy());
      case '/early':
        res.writeEarlyHints({ link: '</style.css>; rel=preload' });
        return void res.end('final after 103');
      case '/continue':
        res.writeContinue();
        return void res.end('final after 100');
      default:
        return void res.end(url);
    }
  });
  httpUpstream.on('connection', () => upstreamConnections++);
  // An upstream that would accept a WebSocket upgrade if one were forwarded to it.
  httpUpstream.on('upgrade', (req, socket) => {
    seen.set(req.url ?? '', {
      method: req.method ?? '',
      httpVersion: req.httpVersion,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      sha: '',
      length: 0,
      upgrade: true,
    });
    socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  });
  httpPort = await listenOn(httpUpstream);

  // A hand-written upstream: answers one request per connection, exactly as written here, then closes.
  rawUpstream = createNetServer((socket) => {
    rawUpstreamSockets.add(socket);
    socket.on('close', () => rawUpstreamSockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (d) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.removeAllListeners('data');
      const path = head.split(' ')[1];
      if (path === '/close-delimited') {
        socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
        socket.end(CLOSE_BODY);
      } else if (path === '/connection-named') {
        socket.end(
          'HTTP/1.1 200 OK\r\nConnection: close, X-Upstream-Private\r\nX-Upstream-Private: x\r\nKeep-Alive: timeout=77, max=3\r\nX-End: y\r\nContent-Length: 2\r\n\r\nok',
        );
      } else if (path === '/garbage') {
        socket.end('this is not HTTP at all\r\n\r\n');
      } else if (path === '/huge-head') {
        socket.end(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(80 * 1024)}\r\nContent-Length: 2\r\n\r\nok`);
      } else if (path === '/switch') {
        socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nframes');
      } else {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
    });
  });
  rawPort = await listenOn(rawUpstream);

  // A port with nothing listening.
  const probe = createNetServer();
  deadPort = await listenOn(probe);
  await new Promise<void>((r) => probe.close(() => r()));

  const policy: SandboxPolicy = {
    version: 1,
    network_policies: {
      allowed: {
        name: 'allowed',
        endpoints: [
          { host: 'allowed.test', port: httpPort },
          { host: 'allowed.test', port: rawPort },
          { host: 'allowed.test', port: deadPort },
        ],
        binaries: [{ path: '**' }],
      },
    },
  };
  core = new EnforcementCore({ baseline: policy, holdTimeoutMs: 10_000 });
  proxy = new EgressProxy({ core, resolver: new Resolver(['allowed.test:127.0.0.1', 'held.test:127.0.0.1']), allowLoopback: true });
  proxyPort = (await proxy.listen('127.0.0.1', 0)).port;
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  tmp = mkdtempSync(join(tmpdir(), 'ost-fwd-'));
});

afterAll(async () => {
  destroyRawHttpClients();
  core.shutdown();
  await proxy.close();
  for (const p of extraProxies) await p.close();
  httpUpstream.closeAllConnections();
  await new Promise<void>((r) => httpUpstream.close(() => r()));
  for (const s of rawUpstreamSockets) s.destroy();
  await new Promise<void>((r) => rawUpstream.close(() => r()));
  rmSync(tmp, { recursive: true, force: true });
});

describe('request bodies', () => {
  it('forwards a 3 MiB Content-Length body byte for byte', async () => {
    const body = randomBytes(3 * 1024 * 1024);
    const c = await RawHttpClient.open(proxyPort);
    c.write(
      `POST ${target('/sha/content-length')} HTTP/1.1\r\nHost: allowed.test:${httpPort}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    c.write(body);
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe(`${sha(body)} ${body.length}`);
    expect(seen.get('/sha/content-length')?.sha).toBe(sha(body));
  });

  it('forwards a chunked request body written in several pieces', async () => {
    const parts = [randomBytes(10), randomBytes(70_000), randomBytes(1), randomBytes(200_000)];
    const whole = Buffer.concat(parts);
    const c = await RawHttpClient.open(proxyPort);
    c.write(`POST ${target('/sha/chunked')} HTTP/1.1\r\nHost: allowed.test:${httpPort}\r\nTransfer-Encoding: chunked\r\n\r\n`);
    for (const part of parts) {
      c.write(Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]));
      await tick();
    }
    c.write('0\r\n\r\n');
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe(`${sha(whole)} ${whole.length}`);
    expect(seen.get('/sha/chunked')?.sha).toBe(sha(whole));
  });

  it('Expect: 100-continue with a body gets a 200 and the upstream gets the whole body', async () => {
    const body = randomBytes(200 * 1024);
    const file = join(tmp, 'expect.bin');
    writeFileSync(file, body);
    const r = await curlVia(proxyUrl, target('/sha/expect'), [
      '--data-binary',
      `@${file}`,
      '-H',
      'Expect: 100-continue',
      '-H',
      'Content-Type: application/octet-stream',
    ]);
    expect(r.status).toBe(200);
    expect(r.body).toBe(`${sha(body)} ${body.length}`);
    expect(seen.get('/sha/expect')?.sha).toBe(sha(body));
  });

  it('a held POST keeps its body and delivers it whole once approved', async () => {
    const body = randomBytes(64 * 1024);
    const c = await RawHttpClient.open(proxyPort);
    c.write(`POST http://held.test:${httpPort}/sha/held HTTP/1.1\r\nHost: held.test:${httpPort}\r\nContent-Length: ${body.length}\r\n\r\n`);
    c.write(body);
    await waitFor(() => core.listRequests().some((r) => r.host === 'held.test' && r.held === 1));
    core.approve(core.listRequests().find((r) => r.host === 'held.test')!.id, { kind: 'once' }, 'operator', { allowUnknownBinary: true }); // no binary identity here
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe(`${sha(body)} ${body.length}`);
    expect(seen.get('/sha/held')?.sha).toBe(sha(body));
  });
});

describe('response bodies', () => {
  it('delivers an 8 MiB Content-Length body intact', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(get('/big'));
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(BIG.length);
    expect(sha(r.body)).toBe(sha(BIG));
  });

  it('delivers a chunked response intact', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(get('/chunked'));
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(sha(r.body)).toBe(sha(Buffer.concat(CHUNKED_PARTS)));
  });

  it('delivers a close-delimited response intact', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(`GET ${target('/close-delimited', rawPort)} HTTP/1.1\r\nHost: allowed.test:${rawPort}\r\n\r\n`);
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(CLOSE_BODY.length);
    expect(sha(r.body)).toBe(sha(CLOSE_BODY));
  });

  it('HEAD carries the Content-Length but no body, and the connection serves a GET next', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(`HEAD ${target('/head')} HTTP/1.1\r\nHost: allowed.test:${httpPort}\r\n\r\n`);
    const head = await c.response('HEAD');
    expect(head.status).toBe(200);
    expect(head.header('content-length')).toBe('12345');
    c.write(get('/after-head'));
    const next = await c.response();
    expect(next.status).toBe(200);
    expect(next.body.toString()).toBe('/after-head');
  });

  it('204 and 304 carry no body, and the connection is reused', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(get('/status/204'));
    expect((await c.response()).status).toBe(204);
    c.write(get('/status/304', 'If-None-Match: "v1"\r\n'));
    const notModified = await c.response();
    expect(notModified.status).toBe(304);
    expect(notModified.header('etag')).toBe('"v1"');
    c.write(get('/after-304'));
    const next = await c.response();
    expect(next.status).toBe(200);
    expect(next.body.toString()).toBe('/after-304');
  });

  it('interim 1xx responses end in the final 200 and its body', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(get('/early'));
    const early = await c.finalResponse();
    expect(early.status).toBe(200);
    expect(early.body.toString()).toBe('final after 103');
    c.write(get('/continue'));
    const cont = await c.finalResponse();
    expect(cont.status).toBe(200);
    expect(cont.body.toString()).toBe('final after 100');
  });
});

describe('connections', () => {
  it('answers pipelined requests in order', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(get('/pipe/first') + get('/pipe/second'));
    const first = await c.response();
    const second = await c.response();
    expect([first.status, first.body.toString()]).toEqual([200, '/pipe/first']);
    expect([second.status, second.body.toString()]).toEqual([200, '/pipe/second']);
  });

  it('serves 20 sequential requests on one client connection, reusing upstream connections', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const clientSockets = new Set<unknown>();
    const before = upstreamConnections;
    try {
      for (let i = 0; i < 20; i++) {
        const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = httpRequest(
            { host: '127.0.0.1', port: proxyPort, path: target(`/ka/${i}`), agent, headers: { host: `allowed.test:${httpPort}` } },
            (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (d) => (body += d));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            },
          );
          req.on('socket', (s) => clientSockets.add(s));
          req.on('error', reject);
          req.end();
        });
        expect([status, body]).toEqual([200, `/ka/${i}`]);
      }
    } finally {
      agent.destroy();
    }
    expect(clientSockets.size).toBe(1);
    expect(upstreamConnections - before).toBeLessThan(20);
  });

  it('50 concurrent clients × 10 keep-alive requests all get their own answers', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, () => RawHttpClient.open(proxyPort)));
    const wrong: string[] = [];
    await Promise.all(
      clients.map(async (c, i) => {
        for (let j = 0; j < 10; j++) {
          c.write(get(`/concurrent/${i}/${j}`));
          const r = await c.response();
          if (r.status !== 200 || r.body.toString() !== `/concurrent/${i}/${j}`) wrong.push(`${i}/${j}: ${r.status} ${r.body}`);
        }
      }),
    );
    expect(wrong).toEqual([]);
    for (const c of clients) c.destroy();
  });

  it('an HTTP/1.0 request without keep-alive gets its full response, then the connection closes', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(`GET ${target('/http10')} HTTP/1.0\r\nHost: allowed.test:${httpPort}\r\n\r\n`);
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('/http10');
    await c.closed;
  }, 5_000);

  it('an HTTP/1.0 client that asks for keep-alive is told so, and its connection serves the next request', async () => {
    const c = await RawHttpClient.open(proxyPort);
    for (const path of ['/http10-ka/1', '/http10-ka/2']) {
      c.write(`GET ${target(path)} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`);
      const r = await c.response();
      expect(r.status).toBe(200);
      expect(r.header('connection')?.toLowerCase()).toBe('keep-alive');
      expect(r.body.toString()).toBe(path);
    }
    c.destroy();
  });

  it('answers 408 and closes when a request body stalls past timeouts.requestMs', async () => {
    const short = new EgressProxy({
      core,
      resolver: new Resolver(['allowed.test:127.0.0.1']),
      allowLoopback: true,
      timeouts: { headersMs: 10_000, requestMs: 300 },
    });
    extraProxies.push(short);
    const c = await RawHttpClient.open((await short.listen('127.0.0.1', 0)).port);
    c.write(`POST ${target('/sha/stalled')} HTTP/1.1\r\nHost: allowed.test:${httpPort}\r\nContent-Length: 100\r\n\r\n0123456789`);
    const r = await c.response();
    expect(r.status).toBe(408);
    await c.closed;
    expect(seen.has('/sha/stalled')).toBe(false); // the upstream never got a complete request
  }, 5_000);

  it('closes an idle keep-alive connection after timeouts.keepAliveMs', async () => {
    const timeouts = { headersMs: 10_000, keepAliveMs: 300 };
    const short = new EgressProxy({ core, resolver: new Resolver(['allowed.test:127.0.0.1']), allowLoopback: true, timeouts });
    extraProxies.push(short);
    const c = await RawHttpClient.open((await short.listen('127.0.0.1', 0)).port);
    c.write(get('/idle'));
    expect((await c.response()).status).toBe(200);
    await c.closed; // no timing assertion, but the proxy's built-in default (5 s today) is past this test's timeout
  }, 4_000);
});

describe('headers', () => {
  it('replaces a client Host that disagrees with the request target', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(`GET ${target('/host/evil')} HTTP/1.1\r\nHost: evil.test\r\n\r\n`);
    expect((await c.response()).status).toBe(200);
    const s = seen.get('/host/evil');
    expect(s?.headers.host).toBe(`allowed.test:${httpPort}`);
    expect(s?.rawHeaders.filter((_, i) => i % 2 === 0 && /^host$/i.test(s.rawHeaders[i]))).toHaveLength(1);
  });

  it('supplies Host from the request target when an HTTP/1.0 client sent none', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(`GET ${target('/host/none')} HTTP/1.0\r\n\r\n`);
    expect((await c.response()).status).toBe(200);
    expect(seen.get('/host/none')?.headers.host).toBe(`allowed.test:${httpPort}`);
  });

  it('drops the standard hop-by-hop request headers and forwards end-to-end ones', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(
      get(
        '/hop/listed',
        'Proxy-Authorization: Basic dXNlcjpwYXNz\r\nProxy-Connection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\nTE: trailers\r\nX-Custom: end-to-end\r\n',
      ),
    );
    expect((await c.response()).status).toBe(200);
    const h = seen.get('/hop/listed')!.headers;
    expect(h['proxy-authorization']).toBeUndefined();
    expect(h['proxy-connection']).toBeUndefined();
    expect(h['keep-alive']).toBeUndefined();
    expect(h.te).toBeUndefined();
    expect(h['x-custom']).toBe('end-to-end');
  });

  it('drops request headers named in Connection', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(get('/hop/named', 'Connection: keep-alive, X-Private\r\nX-Private: secret\r\nX-Custom: kept\r\n'));
    expect((await c.response()).status).toBe(200);
    const h = seen.get('/hop/named')!.headers;
    expect(h['x-private']).toBeUndefined();
    expect(h['x-custom']).toBe('kept');
  });

  it('forwards repeated request header lines as they came', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(get('/hop/dup', 'X-Dup: one\r\nX-Dup: two\r\n'));
    expect((await c.response()).status).toBe(200);
    const raw = seen.get('/hop/dup')!.rawHeaders;
    const dup = raw.filter((_, i) => i % 2 === 1 && /^x-dup$/i.test(raw[i - 1]));
    expect(dup).toEqual(['one', 'two']);
  });

  it('delivers two Set-Cookie response headers as two', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(get('/cookies'));
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(r.all('set-cookie')).toEqual(['a=1; Path=/', 'b=2; Path=/']);
  });

  it('drops response headers the upstream named in Connection', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(`GET ${target('/connection-named', rawPort)} HTTP/1.1\r\nHost: allowed.test:${rawPort}\r\n\r\n`);
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('ok');
    expect(r.header('x-end')).toBe('y');
    expect(r.all('keep-alive')).not.toContain('timeout=77, max=3'); // the proxy may send its own, not the upstream's
    expect(r.header('x-upstream-private')).toBeUndefined();
  });
});

describe('failures and upgrades', () => {
  it('answers 502 when the allowed upstream port has nothing listening', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(`GET ${target('/', deadPort)} HTTP/1.1\r\nHost: allowed.test:${deadPort}\r\n\r\n`);
    expect((await c.response()).status).toBe(502);
  });

  it('an upstream dying mid-body closes the client connection, and the proxy keeps serving', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(get('/partial'));
    await expect(c.response()).rejects.toThrow(/connection closed after \d+ of 100000 bytes/);
    await c.closed;
    const next = await RawHttpClient.open(proxyPort);
    next.write(get('/after-partial'));
    expect((await next.response()).body.toString()).toBe('/after-partial');
  }, 5_000);

  it('an upstream 101 that does not answer the WebSocket key is a 502, never a relay', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(
      get(
        '/ws',
        'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n',
      ),
    );
    const r = await c.finalResponse();
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body.toString())).toMatchObject({ error: 'upstream_failed', code: 'EPROTO' });
    expect(JSON.parse(r.body.toString()).cause).toMatch(/Sec-WebSocket-Accept/);
    await c.closed;
    expect(c.pending).toBe(0); // the body was exactly as long as it said
    const next = await RawHttpClient.open(proxyPort);
    next.write(get('/after-ws'));
    expect((await next.response()).body.toString()).toBe('/after-ws');
  }, 5_000);

  it('an h2c upgrade is refused with 501 and never forwarded', async () => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(get('/h2c', 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n'));
    const r = await c.finalResponse();
    expect(r.status).toBe(501);
    expect(JSON.parse(r.body.toString()).reason).toMatch(/h2c/);
    await c.closed;
    expect(seen.get('/h2c')).toBeUndefined();
  }, 5_000);
});

describe('misbehaving upstreams', () => {
  const rawGet = (path: string) => `GET ${target(path, rawPort)} HTTP/1.1\r\nHost: allowed.test:${rawPort}\r\n\r\n`;

  it.each([
    ['bytes that are not HTTP', '/garbage'],
    ['a response head over 64 KiB', '/huge-head'],
    ['a 101 it was never asked for', '/switch'],
  ])('%s: the client gets a 502 and the proxy keeps serving', async (_name, path) => {
    const c = await RawHttpClient.open(proxyPort);
    c.write(rawGet(path));
    const r = await c.response();
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body.toString())).toMatchObject({
      error: 'upstream_failed',
      host: 'allowed.test',
      code: expect.stringMatching(/^(EPROTO|HPE_)/),
    });
    c.write(get('/after-bad-upstream'));
    expect((await c.response()).body.toString()).toBe('/after-bad-upstream');
  });

  describe('on a keep-alive upstream', () => {
    // Answers with Content-Length and keeps the connection; what it does after that depends on the path:
    // /then-junk sends a whole forged response on the idle connection (/with-extra: right behind the
    // answer, in the same write), /drop-next makes the connection
    // die unanswered on its next request (as a server closing an idle connection just as it is reused).
    let server: ReturnType<typeof createNetServer>;
    let port: number;
    let connections = 0;
    const sockets = new Set<Socket>();
    let ownProxy: EgressProxy;
    let ownPort: number;

    beforeAll(async () => {
      server = createNetServer((socket) => {
        connections++;
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {});
        let buffered = '';
        let dropNext = false;
        socket.on('data', (d) => {
          buffered += d.toString('latin1');
          for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
            const head = buffered.slice(0, end);
            buffered = buffered.slice(end + 4);
            const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
            buffered = buffered.slice(length); // bodies are small and arrive with their head here
            if (dropNext) return void socket.destroy();
            const path = head.split(' ')[1];
            const forged = 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged';
            // One write, so the extra bytes arrive in the answer's own read: a later segment can race a reuse
            // of the connection, as it can for any HTTP/1.1 client that pools (RFC 9112 leaves it to servers).
            socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${path.length}\r\n\r\n${path}${path === '/with-extra' ? forged : ''}`);
            if (path === '/then-junk') setTimeout(() => socket.write(forged), 20);
            if (path === '/drop-next') dropNext = true;
          }
        });
      });
      port = await listenOn(server);
      const policy: SandboxPolicy = {
        version: 1,
        network_policies: { ka: { name: 'ka', endpoints: [{ host: 'ka.test', port }], binaries: [{ path: '**' }] } },
      };
      const kaCore = new EnforcementCore({ baseline: policy, holdTimeoutMs: 0 });
      ownProxy = new EgressProxy({ core: kaCore, resolver: new Resolver(['ka.test:127.0.0.1']), allowLoopback: true });
      extraProxies.push(ownProxy);
      ownPort = (await ownProxy.listen('127.0.0.1', 0)).port;
    });

    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    });

    const kaGet = (path: string) => `GET http://ka.test:${port}${path} HTTP/1.1\r\nHost: ka.test:${port}\r\n\r\n`;

    it('a forged response sent on an idle pooled connection never reaches the next client', async () => {
      const c = await RawHttpClient.open(ownPort);
      c.write(kaGet('/then-junk'));
      expect((await c.response()).body.toString()).toBe('/then-junk');
      await new Promise((r) => setTimeout(r, 100)); // the forged bytes arrive while the connection is pooled
      c.write(kaGet('/after-junk'));
      expect((await c.response()).body.toString()).toBe('/after-junk');
    });

    it('bytes right behind a Content-Length body are not taken as the next answer', async () => {
      const c = await RawHttpClient.open(ownPort);
      c.write(kaGet('/with-extra'));
      expect((await c.response()).body.toString()).toBe('/with-extra');
      c.write(kaGet('/after-extra'));
      expect((await c.response()).body.toString()).toBe('/after-extra');
    });

    it('a body-less request on a pooled connection that dies unanswered is retried once on a fresh one', async () => {
      const c = await RawHttpClient.open(ownPort);
      c.write(kaGet('/drop-next'));
      expect((await c.response()).body.toString()).toBe('/drop-next');
      const before = connections;
      c.write(kaGet('/retried'));
      const r = await c.response();
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe('/retried');
      expect(connections).toBe(before + 1);
    });

    it.each([
      ['a request with a body', 'POST', 'Content-Length: 4\r\n', 'body'],
      ['an unsafe method without a body', 'DELETE', '', ''],
    ])('%s is not retried: it gets a 502 (the server may have acted on it)', async (_name, method, headers, body) => {
      const c = await RawHttpClient.open(ownPort);
      c.write(kaGet('/drop-next'));
      expect((await c.response()).body.toString()).toBe('/drop-next');
      const before = connections;
      c.write(`${method} http://ka.test:${port}/not-retried HTTP/1.1\r\nHost: ka.test:${port}\r\n${headers}\r\n${body}`);
      expect((await c.response()).status).toBe(502);
      expect(connections).toBe(before);
    });
  });
});
