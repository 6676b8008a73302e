// Request smuggling through the proxy, over real sockets, plain HTTP and inside TLS-inspected tunnels,
// against upstreams that log every byte they receive and read requests as a lenient server does. An
// allowed `GET /public/a` must never carry a forbidden `DELETE /admin/users/1` to the upstream: not by
// a Connection header that names the framing, not through the shared upstream pool, not by any other
// framing the proxy and the upstream could read differently. Every request an upstream sees has its own
// decision in the audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoResponder, startRawUpstream, type RawUpstream, type Responder } from './support/raw-upstream.js';
import { restPolicy, startProxyHarness, type ProxyHarness } from './support/proxy-harness.js';
import { channels, firstHead } from './support/channels.js';

let harness: ProxyHarness;
let plain: RawUpstream;
let secure: RawUpstream;

const SMUGGLED = 'DELETE /admin/users/1 HTTP/1.1\r\nHost: victim\r\nContent-Length: 0\r\n\r\n';

/** Raw answers for particular request-targets (hostile upstream responses); everything else is echoed. */
const hostile = new Map<string, string>();
const respond: Responder = (r, socket) => hostile.get(r.target) ?? echoResponder(r, socket);

beforeAll(async () => {
  plain = await startRawUpstream({ respond });
  const upstreamCaHolder: { ca?: ProxyHarness['upstreamCa'] } = {};
  secure = await startRawUpstream({ respond, tls: (name) => upstreamCaHolder.ca!.secureContextFor(name) });
  const rules = [{ allow: { method: 'GET', path: '/public/**' } }];
  harness = await startProxyHarness({
    policy: restPolicy([
      { host: 'plain.test', port: plain.port, rules },
      { host: 'inspected.test', port: secure.port, rules },
    ]),
    resolve: ['plain.test:127.0.0.1', 'inspected.test:127.0.0.1'],
  });
  upstreamCaHolder.ca = harness.upstreamCa;
});

afterAll(async () => {
  await harness?.close();
  await plain?.close();
  await secure?.close();
});

const all = channels(() => harness, { host: 'plain.test', port: () => plain.port }, { host: 'inspected.test', port: () => secure.port });
const upstreamOf = (name: string) => (name === 'plain HTTP' ? plain : secure);

describe.each(all)('$name', (channel) => {
  const upstream = () => upstreamOf(channel.name);
  const get = (path: string, headers: string, body = '') =>
    `GET ${channel.target(path)} HTTP/1.1\r\nHost: ${channel.host}:${channel.port}\r\n${headers}\r\n${body}`;

  it.each([
    ['Connection: Content-Length', 'Content-Length'],
    ['Connection: content-length', 'content-length'],
    ['Connection: close, CONTENT-LENGTH', 'a list, upper case'],
    ['Connection: keep-alive,content-length', 'a list without spaces'],
    ['Connection: keep-alive\r\nConnection: Content-Length', 'a second Connection line'],
    ['Connection: \tcontent-length\t', 'tabs around the token'],
  ])('a body behind "%s" (%s) never reaches the upstream as a second request: 400', async (connection) => {
    const before = upstream().text().length;
    const c = await channel.open();
    c.write(get('/public/a', `${connection}\r\nContent-Length: ${SMUGGLED.length}\r\n`, SMUGGLED));
    const r = await c.response();
    expect(r.status).toBe(400);
    expect(r.header('content-type')).toBe('application/json');
    expect(JSON.parse(r.body.toString())).toMatchObject({ error: 'bad_request' });
    expect(r.header('connection')).toBe('close');
    await c.closed;
    expect(upstream().text().slice(before)).not.toContain('DELETE');
  });

  it('a chunked body behind "Connection: transfer-encoding" never reaches the upstream: 400', async () => {
    const before = upstream().text().length;
    const c = await channel.open();
    const chunked = `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`;
    c.write(get('/public/a', 'Connection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n', chunked));
    expect((await c.response()).status).toBe(400);
    await c.closed;
    expect(upstream().text().slice(before)).not.toContain('DELETE');
  });

  it('"Connection: host" is refused (400) and nothing is forwarded', async () => {
    const before = upstream().text().length;
    const c = await channel.open();
    c.write(get('/public/host-named', 'Connection: host\r\n'));
    expect((await c.response()).status).toBe(400);
    await c.closed;
    expect(upstream().text().slice(before)).toBe('');
  });

  it("a half-finished smuggled request is never completed by another client's request on the shared pool", async () => {
    const before = upstream().text().length;
    const partial = 'DELETE /admin/users/1 HTTP/1.1\r\nX-Pad: ';
    const attacker = await channel.open();
    attacker.write(get('/public/a', `Connection: content-length\r\nContent-Length: ${partial.length}\r\n`, partial));
    const refused = await attacker.response();
    expect(refused.status).toBe(400);
    // The victim, on its own connection, through the same proxy and upstream pool.
    const victim = await channel.open();
    victim.write(get('/public/b', 'Authorization: Bearer victim-secret\r\n'));
    const answer = await victim.response();
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('seen GET /public/b');
    const seen = upstream().text().slice(before);
    expect(seen).not.toContain('DELETE');
    // The victim's credentials arrived once, in the victim's own request.
    const withSecret = upstream().requests.filter((r) => upstream().header(r, 'authorization') === 'Bearer victim-secret');
    expect(withSecret.map((r) => r.line)).toEqual(['GET /public/b HTTP/1.1']);
  });

  it('the forwarded head states the framing the proxy writes: Content-Length from the parsed value', async () => {
    const c = await channel.open();
    c.write(get('/public/length-ows', 'Content-Length:   5  \r\n', 'hello'));
    expect((await c.response()).status).toBe(200);
    const [r] = upstream().requests.filter((x) => x.target === '/public/length-ows');
    expect(r.headers.filter(([n]) => n.toLowerCase() === 'content-length')).toEqual([['Content-Length', '5']]);
    expect(r.body.toString()).toBe('hello');
  });

  it.each([
    ['two equal Content-Length lines', 'Content-Length: 5\r\nContent-Length: 5\r\n'],
    ['two different Content-Length lines', 'Content-Length: 5\r\nContent-Length: 6\r\n'],
    ['a Content-Length list', 'Content-Length: 5, 5\r\n'],
    ['a signed Content-Length', 'Content-Length: +5\r\n'],
    ['Content-Length and chunked', 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n'],
    ['chunked, then another coding', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n'],
    ['a coding other than chunked', 'Transfer-Encoding: gzip\r\n'],
    ['an obs-folded header', 'X-Folded: a\r\n b\r\n'],
    ['a space before the colon', 'Content-Length : 5\r\n'],
  ])('%s: 400, the connection closes, and nothing after it is forwarded', async (_case, headers) => {
    const before = upstream().text().length;
    const c = await channel.open();
    c.write(get('/public/ambiguous', `${headers}`, `hello${SMUGGLED}`));
    const r = await c.response();
    expect(r.status).toBe(400);
    await c.closed;
    const seen = upstream().text().slice(before);
    expect(seen).not.toContain('DELETE');
    expect(seen).not.toContain('/public/ambiguous');
  });

  it('transfer codings other than chunked are refused (400), even with chunked last', async () => {
    const before = upstream().text().length;
    const c = await channel.open();
    c.write(get('/public/gzip-chunked', 'Transfer-Encoding: gzip, chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'));
    expect((await c.response()).status).toBe(400);
    expect(upstream().text().slice(before)).toBe('');
  });

  it('an HTTP/1.0 request with a chunked body goes upstream re-framed, whole, as one request', async () => {
    const before = upstream().requests.length;
    const c = await channel.open();
    const body = `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`;
    c.write(`GET ${channel.target('/public/http10')} HTTP/1.0\r\nHost: ${channel.host}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
    const r = await c.response();
    expect(r.status).toBe(200);
    const after = upstream().requests.slice(before);
    expect(after.map((x) => x.line)).toEqual(['GET /public/http10 HTTP/1.1']);
    expect(after[0].body.toString()).toBe(SMUGGLED);
    expect(upstream().header(after[0], 'transfer-encoding')).toBe('chunked');
  });

  it('request trailers never reach the upstream', async () => {
    const before = upstream().text().length;
    const c = await channel.open();
    c.write(get('/public/trailers', 'Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\nX-Trailer-Smuggle: 1\r\n\r\n'));
    expect((await c.response()).status).toBe(200);
    const seen = upstream().text().slice(before);
    expect(seen).toContain('5\r\nhello\r\n0\r\n\r\n');
    expect(seen).not.toContain('X-Trailer-Smuggle');
  });

  it('a denied request that asked for 100-continue is answered and the connection closed (its body never comes)', async () => {
    const before = upstream().text().length;
    const c = await channel.open();
    c.write(
      `POST ${channel.target('/admin/users')} HTTP/1.1\r\nHost: ${channel.host}\r\nExpect: 100-continue\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n`,
    );
    const r = await c.response();
    expect(r.status).toBe(403);
    expect(r.header('connection')).toBe('close');
    await c.closed;
    expect(upstream().text().slice(before)).toBe('');
  });

  it('requests pipelined behind a malformed one are never forwarded', async () => {
    const before = upstream().text().length;
    const c = await channel.open();
    c.write(`${get('/public/pipelined-ok', '')}${get('/public/pipelined-bad', 'Content-Length: 1\r\nContent-Length: 2\r\n')}${SMUGGLED}`);
    await c.closed;
    const seen = upstream().text().slice(before);
    expect(seen).not.toContain('DELETE');
    expect(seen).not.toContain('pipelined-bad');
  });
});

describe.each(all)('responses, $name', (channel) => {
  const upstream = () => upstreamOf(channel.name);
  const get = (path: string) => `GET ${channel.target(path)} HTTP/1.1\r\nHost: ${channel.host}\r\n\r\n`;

  it.each([
    ['Connection: content-length', 'Content-Length: 5'],
    ['Connection: Transfer-Encoding', 'Transfer-Encoding: chunked'],
    ['Connection: close, Host', 'Content-Length: 5'],
  ])('an upstream response whose "%s" is a 502, and its upstream connection is not reused', async (connection, framing) => {
    const path = `/public/response-${channel.name.replace(/\W+/g, '-')}-${connection.replace(/\W+/g, '-')}`;
    const body = framing.startsWith('Transfer') ? '5\r\nhello\r\n0\r\n\r\n' : 'hello';
    hostile.set(path, `HTTP/1.1 200 OK\r\n${connection}\r\n${framing}\r\n\r\n${body}`);
    const c = await channel.open();
    c.write(get(path));
    const head = await firstHead(c);
    expect(head.status).toBe(502);
    // The next request goes to the upstream on a connection that was never part of the failure.
    const next = await channel.open();
    next.write(get('/public/after-bad-response'));
    const r = await next.response();
    expect(r.status).toBe(200);
    const last = upstream().requests.at(-1)!;
    expect(last.target).toBe('/public/after-bad-response');
    const failedOn = upstream().requests.find((x) => x.target === path)!.connection;
    expect(last.connection).not.toBe(failedOn);
  });
});

describe.each(all)('more response framing, $name', (channel) => {
  const upstream = () => upstreamOf(channel.name);
  const get = (path: string) => `GET ${channel.target(path)} HTTP/1.1\r\nHost: ${channel.host}\r\n\r\n`;
  const slug = (text: string) => `${channel.name}-${text}`.replace(/\W+/g, '-');

  it.each([
    ['two Content-Length lines', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
    ['Content-Length and chunked', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
    ['a transfer coding other than chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nhello'],
  ])('a response with %s is a 502 and its connection is never reused', async (what, raw) => {
    const path = `/public/${slug(what)}`;
    hostile.set(path, raw);
    const c = await channel.open();
    c.write(get(path));
    const r = await c.response();
    expect(r.status).toBe(502);
    expect(r.body.toString()).not.toContain('hello');
    const next = await channel.open();
    next.write(get(`/public/${slug(what)}-next`));
    expect((await next.response()).status).toBe(200);
    const failedOn = upstream().requests.find((x) => x.target === path)!.connection;
    expect(upstream().requests.at(-1)!.connection).not.toBe(failedOn);
  });

  it('bytes behind a 204 never reach the client, and that upstream connection is dropped', async () => {
    const path = `/public/${slug('204-with-body')}`;
    hostile.set(path, 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello');
    const c = await channel.open();
    c.write(get(path));
    const r = await c.response();
    expect(r.status).toBe(204);
    expect(r.header('content-length')).toBeUndefined();
    c.write(get(`/public/${slug('after-204')}`));
    const after = await c.response();
    expect(after.status).toBe(200);
    expect(after.body.toString()).toBe(`seen GET /public/${slug('after-204')}`);
    expect(c.pending).toBe(0);
    const failedOn = upstream().requests.find((x) => x.target === path)!.connection;
    expect(upstream().requests.at(-1)!.connection).not.toBe(failedOn);
  });
});

describe('the audit log holds every request an upstream saw', () => {
  it('after the attacks above, each request read by either upstream has its own "allowed" record', async () => {
    const records = (await harness.audit()).filter((r) => r.action === 'Allowed');
    const decided = records.map((r) => {
      const u = r.unmapped as { http_method?: string; url_path?: string };
      return `${u.http_method} ${u.url_path}`;
    });
    for (const upstream of [plain, secure]) {
      for (const r of upstream.requests) {
        const key = `${r.method} ${r.target.split('?')[0]}`;
        const at = decided.indexOf(key);
        expect(at, `${key} reached an upstream without its own decision`).toBeGreaterThanOrEqual(0);
        decided.splice(at, 1);
      }
    }
  });
});
