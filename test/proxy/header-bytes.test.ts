// Header bytes cross the proxy unchanged, over real sockets, plain HTTP and inside TLS-inspected tunnels.
// llhttp hands header values over one character per byte (latin1); writing them back as UTF-8 turned every
// byte above 0x7F into two, so a UTF-8 filename in Content-Disposition arrived as mojibake ("rÃ©sumÃ©")
// and the upstream saw other header bytes than the ones the request was decided on. Heads are written as
// the bytes they were read from, as node:http does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoResponder, startRawUpstream, type RawUpstream, type Responder } from './support/raw-upstream.js';
import { restPolicy, startProxyHarness, type ProxyHarness } from './support/proxy-harness.js';
import { channels } from './support/channels.js';

let harness: ProxyHarness;
let plain: RawUpstream;
let secure: RawUpstream;

/** "résumé" in UTF-8, and one latin1 byte (0xE9), as raw header bytes. */
const UTF8_VALUE = Buffer.from('attachment; filename="résumé.pdf"', 'utf8');
const LATIN1_VALUE = Buffer.from([0x63, 0x61, 0x66, 0xe9]);

const respond: Responder = (r, socket) => {
  if (!r.target.startsWith('/public/download')) return echoResponder(r, socket);
  return Buffer.concat([
    Buffer.from('HTTP/1.1 200 OK\r\nContent-Disposition: '),
    UTF8_VALUE,
    Buffer.from('\r\nX-Latin1: '),
    LATIN1_VALUE,
    Buffer.from('\r\nContent-Length: 2\r\n\r\nok'),
  ]);
};

beforeAll(async () => {
  plain = await startRawUpstream({ respond });
  const holder: { ca?: ProxyHarness['upstreamCa'] } = {};
  secure = await startRawUpstream({ respond, tls: (name) => holder.ca!.secureContextFor(name) });
  const rules = [{ allow: { method: 'GET', path: '/public/**' } }];
  harness = await startProxyHarness({
    policy: restPolicy([
      { host: 'plain.test', port: plain.port, rules },
      { host: 'inspected.test', port: secure.port, rules },
    ]),
    resolve: ['plain.test:127.0.0.1', 'inspected.test:127.0.0.1'],
  });
  holder.ca = harness.upstreamCa;
});

afterAll(async () => {
  await harness?.close();
  await plain?.close();
  await secure?.close();
});

/** The raw bytes of header `name` in a head (the value after ": ", up to CRLF). */
function rawValue(head: Buffer, name: string): Buffer | undefined {
  const text = head.toString('latin1');
  const at = text.toLowerCase().indexOf(`\r\n${name.toLowerCase()}: `);
  if (at < 0) return undefined;
  const start = at + name.length + 4;
  return head.subarray(start, text.indexOf('\r\n', start));
}

describe.each(channels(() => harness, { host: 'plain.test', port: () => plain.port }, { host: 'inspected.test', port: () => secure.port }))(
  '$name',
  (channel) => {
    const upstream = () => (channel.name === 'plain HTTP' ? plain : secure);

    it('request header bytes above 0x7F reach the upstream as sent', async () => {
      const before = upstream().received.map((b) => b.length);
      const c = await channel.open();
      c.socket.write(
        Buffer.concat([
          Buffer.from(`GET ${channel.target('/public/upload')} HTTP/1.1\r\nHost: ${channel.host}\r\nX-Title: `),
          UTF8_VALUE,
          Buffer.from('\r\nX-Latin1: '),
          LATIN1_VALUE,
          Buffer.from('\r\n\r\n'),
        ]),
      );
      expect((await c.finalResponse()).status).toBe(200);
      c.destroy();
      const seen = Buffer.concat(upstream().received.map((b, i) => b.subarray(before[i] ?? 0)));
      expect(rawValue(seen, 'X-Title')).toEqual(UTF8_VALUE);
      expect(rawValue(seen, 'X-Latin1')).toEqual(LATIN1_VALUE);
    });

    it('response header bytes above 0x7F reach the client as the upstream sent them', async () => {
      const c = await channel.open();
      const chunks: Buffer[] = [];
      c.socket.on('data', (d: Buffer) => chunks.push(d));
      c.write(`GET ${channel.target('/public/download')} HTTP/1.1\r\nHost: ${channel.host}\r\n\r\n`);
      expect((await c.finalResponse()).status).toBe(200);
      c.destroy();
      const head = Buffer.concat(chunks);
      expect(rawValue(head, 'Content-Disposition')).toEqual(UTF8_VALUE);
      expect(rawValue(head, 'X-Latin1')).toEqual(LATIN1_VALUE);
    });
  },
);
