// Every method llhttp can parse reaches the decision, the audit log and the upstream by its own name,
// over real sockets, plain and inside inspected tunnels. llhttp reports a method as a number; the names
// are llhttp's own enum (llhttp.h, llhttp_method_t: 0 DELETE … 46 QUERY, RTSP's in between), which is
// Node's internal `allMethods` table. Node's public `methods` list is dense and skips PRI and the RTSP
// methods, so indexing it by code turned QUERY (46) into `undefined`: decided as "no L7 information",
// allowed at L4 and sent upstream as `undefined /admin/secret HTTP/1.1`.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LLHTTP_METHODS, methodName } from '../../src/core/proxy/http1/llhttp-methods.js';
import { startRawUpstream, type RawUpstream } from './support/raw-upstream.js';
import { restPolicy, startProxyHarness, type ProxyHarness } from './support/proxy-harness.js';
import { channels } from './support/channels.js';

/** llhttp 9's method enum, by code (llhttp.h): the RTSP methods (35–45) parse only with an RTSP/1.0 version. */
const EXPECTED = [
  'DELETE',
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'COPY',
  'LOCK',
  'MKCOL',
  'MOVE',
  'PROPFIND',
  'PROPPATCH',
  'SEARCH',
  'UNLOCK',
  'BIND',
  'REBIND',
  'UNBIND',
  'ACL',
  'REPORT',
  'MKACTIVITY',
  'CHECKOUT',
  'MERGE',
  'M-SEARCH',
  'NOTIFY',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'PATCH',
  'PURGE',
  'MKCALENDAR',
  'LINK',
  'UNLINK',
  'SOURCE',
  'PRI',
  'DESCRIBE',
  'ANNOUNCE',
  'SETUP',
  'PLAY',
  'PAUSE',
  'TEARDOWN',
  'GET_PARAMETER',
  'SET_PARAMETER',
  'REDIRECT',
  'RECORD',
  'FLUSH',
  'QUERY',
];
const RTSP_ONLY = new Set(EXPECTED.slice(35, 46));
/** Methods that go through the request path (CONNECT opens a tunnel; PRI is only the HTTP/2 preface, which llhttp refuses). */
const REQUEST_METHODS = EXPECTED.filter((m) => m !== 'CONNECT' && m !== 'PRI');

let harness: ProxyHarness;
let plain: RawUpstream;
let secure: RawUpstream;
let open: RawUpstream;

beforeAll(async () => {
  plain = await startRawUpstream();
  open = await startRawUpstream();
  const holder: { ca?: ProxyHarness['upstreamCa'] } = {};
  secure = await startRawUpstream({ tls: (name) => holder.ca!.secureContextFor(name) });
  const rules = [{ allow: { method: 'GET', path: '/public/**' } }];
  harness = await startProxyHarness({
    policy: restPolicy([
      { host: 'plain.test', port: plain.port, rules },
      { host: 'inspected.test', port: secure.port, rules },
      { host: 'open.test', port: open.port },
    ]),
    resolve: ['plain.test:127.0.0.1', 'inspected.test:127.0.0.1', 'open.test:127.0.0.1'],
  });
  holder.ca = harness.upstreamCa;
});

afterAll(async () => {
  await harness?.close();
  for (const u of [plain, secure, open]) await u?.close();
});

describe('the method table', () => {
  it("is llhttp's enum, code for code, as Node's own parser binding holds it", () => {
    const node = execFileSync(
      process.execPath,
      ['--no-deprecation', '-e', "process.stdout.write(JSON.stringify(process.binding('http_parser').allMethods))"],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(node)).toEqual(EXPECTED);
    expect([...LLHTTP_METHODS]).toEqual(EXPECTED);
  });

  it('names no code outside the table', () => {
    expect(methodName(46)).toBe('QUERY');
    expect(methodName(47)).toBeUndefined();
    expect(methodName(-1)).toBeUndefined();
    expect(methodName(1.5)).toBeUndefined();
  });
});

const requestLine = (method: string, target: string) => `${method} ${target} ${RTSP_ONLY.has(method) ? 'RTSP/1.0' : 'HTTP/1.1'}`;

describe('every method, by name, to an endpoint without L7 rules', () => {
  it.each(REQUEST_METHODS)('%s reaches the upstream as itself, decided and audited under its name', async (method) => {
    const c = await harness.client();
    c.write(`${requestLine(method, `http://open.test:${open.port}/m/${method}`)}\r\nHost: open.test\r\nConnection: close\r\n\r\n`);
    const r = await c.response(method === 'HEAD' ? 'HEAD' : 'GET');
    expect(r.status).toBe(200);
    const seen = open.requests.filter((x) => x.target === `/m/${method}`);
    expect(seen.map((x) => x.line)).toEqual([`${method} /m/${method} HTTP/1.1`]);
    expect(open.text()).not.toContain('undefined');
    const records = (await harness.audit()).filter((a) => (a.unmapped as { url_path?: string }).url_path === `/m/${method}`);
    expect(records.map((a) => [a.action, (a.unmapped as { http_method?: string }).http_method])).toEqual([['Allowed', method]]);
  });
});

describe.each(channels(() => harness, { host: 'plain.test', port: () => plain.port }, { host: 'inspected.test', port: () => secure.port }))(
  'every method on an L7 endpoint that allows only GET /public/**, $name',
  (channel) => {
    const upstream = () => (channel.name === 'plain HTTP' ? plain : secure);

    it.each(REQUEST_METHODS.filter((m) => m !== 'GET' && m !== 'HEAD'))(
      '%s /public/x is refused with 403 naming the method, and never reaches the upstream',
      async (method) => {
        const before = upstream().text().length;
        const c = await channel.open();
        c.write(`${requestLine(method, channel.target('/public/x'))}\r\nHost: ${channel.host}\r\n\r\n`);
        const r = await c.response();
        expect(r.status).toBe(403);
        expect(JSON.parse(r.body.toString())).toMatchObject({ stage: 'l7', reason: expect.stringContaining(`${method} /public/x`) });
        expect(upstream().text().slice(before)).toBe('');
      },
    );

    it('QUERY /admin/secret with a body is refused, and no "undefined" request line ever reaches the upstream', async () => {
      const c = await channel.open();
      c.write(`QUERY ${channel.target('/admin/secret')} HTTP/1.1\r\nHost: ${channel.host}\r\nContent-Length: 2\r\n\r\n{}`);
      expect((await c.response()).status).toBe(403);
      expect(upstream().text()).not.toContain('undefined');
      expect(upstream().text()).not.toContain('/admin/secret');
    });
  },
);
