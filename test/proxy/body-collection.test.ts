// The engine can hold a request's whole body before the decision (for endpoints decided on the body:
// JSON-RPC, MCP, GraphQL), up to a limit, without changing anything for requests that stream: over real
// sockets, the HTTP/1.1 engine with a handler that collects, then forwards what it collected, framed as
// the head says.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Http1Server } from '../../src/core/proxy/http1/http1-server.js';
import { UpstreamPool } from '../../src/core/proxy/http1/upstream-pool.js';
import { RawHttpClient } from '../helpers/raw-http-client.js';
import { startRawUpstream, type RawUpstream } from './support/raw-upstream.js';

const LIMIT = 1024 * 1024;
let upstream: RawUpstream;
let server: Http1Server;
let port: number;
const pool = new UpstreamPool();
/** What the handler saw before it decided, per path. */
const collected = new Map<string, number | 'too large'>();

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  upstream = await startRawUpstream();
  server = new Http1Server(
    { maxHeaderSize: 16 * 1024, headersMs: 10_000, requestMs: 10_000, keepAliveMs: 5_000 },
    {
      request: (exchange) =>
        void (async () => {
          const path = exchange.head.url;
          const target = { address: '127.0.0.1', port: upstream.port, authority: `127.0.0.1:${upstream.port}`, path };
          if (!path.startsWith('/collect')) return exchange.forward(pool, target);
          const body = await exchange.collectBody(LIMIT);
          collected.set(path, body ? body.length : 'too large');
          if (!body) return exchange.respond(413, 'Content Too Large', { 'Content-Type': 'text/plain' }, 'too large\n', true);
          exchange.forward(pool, target);
        })(),
      connect: (_head, socket) => socket.destroy(),
      clientError: () => {},
    },
  );
  port = (await server.listen('127.0.0.1', 0)).port;
});

afterAll(async () => {
  pool.close();
  await server.close();
  await upstream.close();
});

describe('collectBody', () => {
  it('holds a 700 KiB body whole before the decision, then forwards it framed by its length', async () => {
    const body = randomBytes(700 * 1024);
    const c = await RawHttpClient.open(port);
    c.write(`POST /collect/length HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
    c.write(body);
    expect((await c.response()).status).toBe(200);
    expect(collected.get('/collect/length')).toBe(body.length);
    const [seen] = upstream.requests.filter((r) => r.target === '/collect/length');
    expect(sha(seen.body)).toBe(sha(body));
    expect(upstream.header(seen, 'content-length')).toBe(String(body.length));
    c.destroy();
  });

  it('collects a chunked body too, and forwards it chunked', async () => {
    const body = randomBytes(300 * 1024);
    const c = await RawHttpClient.open(port);
    c.write('POST /collect/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    for (let at = 0; at < body.length; at += 100 * 1024) {
      const part = body.subarray(at, at + 100 * 1024);
      c.write(Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]));
    }
    c.write('0\r\n\r\n');
    expect((await c.response()).status).toBe(200);
    expect(collected.get('/collect/chunked')).toBe(body.length);
    const [seen] = upstream.requests.filter((r) => r.target === '/collect/chunked');
    expect(sha(seen.body)).toBe(sha(body));
    c.destroy();
  });

  it('refuses a body over the limit before anything reaches the upstream', async () => {
    const body = randomBytes(LIMIT + 1);
    const c = await RawHttpClient.open(port);
    c.write(`POST /collect/too-big HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
    c.write(body);
    expect((await c.response()).status).toBe(413);
    expect(collected.get('/collect/too-big')).toBe('too large');
    expect(upstream.requests.filter((r) => r.target === '/collect/too-big')).toEqual([]);
  });

  it('requests that do not collect still stream: a 3 MiB body reaches the upstream whole', async () => {
    const body = randomBytes(3 * 1024 * 1024);
    const c = await RawHttpClient.open(port);
    c.write(`POST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
    c.write(body);
    expect((await c.response()).status).toBe(200);
    const [seen] = upstream.requests.filter((r) => r.target === '/stream');
    expect(sha(seen.body)).toBe(sha(body));
    c.destroy();
  });
});
