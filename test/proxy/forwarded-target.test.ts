// Forward what was decided: the request-target an upstream receives is the canonical form the policy
// decided (policy/canonical-path.ts), or the request is refused with a 400 and a JSON reason when no one
// form would be read the same way by every server. Over real sockets, plain HTTP (absolute-form) and
// inside inspected tunnels (origin-form). The policy allows only GET /public/**.
//
// What is refused, and why (each a class of spelling on which servers disagree, so the canonical form the
// policy decided could still be read as another path):
// - a backslash, raw or %5C: WHATWG URL parsers and IIS treat it as "/", RFC 3986 servers as a byte;
// - double encoding (%25 followed by two hex digits): a second decoding layer reads what the first hid;
// - bytes that are not UTF-8 after decoding (overlong %C0%AE is "." to lenient decoders), and characters
//   that NFKC folds into "." "/" "\" ";" "%" (fullwidth dots and slashes);
// - dot segments spelled with %2e: servers disagree on whether they are dot segments at all;
// - ";" path parameters, raw or %3B: the policy decides each segment without them (as upstream OpenShell
//   does), but only some servers strip them, so forwarding either spelling routes differently somewhere;
// - anything the canonicaliser itself refuses (traversal above the root, control bytes, %2F, fragments).
// What is forwarded in canonical form, and why it is safe: "." and ".." segments (resolved), "//"
// (collapsed), percent-encoded unreserved bytes (decoded) and hex case (upper-cased): after that the path
// has one reading, the one that was decided. Upstream OpenShell forwards the same canonical form. The
// query is forwarded byte for byte (it is decided on its decoded parameters and does not route).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRawUpstream, type RawUpstream } from './support/raw-upstream.js';
import { restPolicy, startProxyHarness, type ProxyHarness } from './support/proxy-harness.js';
import { channels } from './support/channels.js';

let harness: ProxyHarness;
let plain: RawUpstream;
let secure: RawUpstream;

beforeAll(async () => {
  plain = await startRawUpstream();
  const holder: { ca?: ProxyHarness['upstreamCa'] } = {};
  secure = await startRawUpstream({ tls: (name) => holder.ca!.secureContextFor(name) });
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

// --- how different servers read a path (each a real family of behaviour) ------------------------------

/** Percent-decodes to a string; `lenient` also reads overlong UTF-8 (C0/C1 lead bytes) as ASCII, as old decoders did. */
function decode(path: string, lenient: boolean): string {
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    const hex = /^%[0-9a-fA-F]{2}/.test(path.slice(i, i + 3));
    bytes.push(hex ? Number.parseInt(path.slice(i + 1, i + 3), 16) : path.charCodeAt(i));
    if (hex) i += 2;
  }
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    if (lenient && (bytes[i] & 0xfe) === 0xc0 && i + 1 < bytes.length) {
      out += String.fromCharCode(((bytes[i] & 0x1f) << 6) | (bytes[i + 1] & 0x3f));
      i++;
    } else out += String.fromCharCode(bytes[i]);
  }
  if (!lenient) return out;
  try {
    return decodeURIComponent(escape(out)).normalize('NFKC');
  } catch {
    return out;
  }
}

function resolveDots(path: string, o: { collapse: boolean; params: boolean }): string {
  const stack: string[] = [];
  const segments = path.split('/').slice(1);
  segments.forEach((raw, i) => {
    const seg = o.params ? raw.split(';')[0] : raw;
    if (seg === '..') stack.pop();
    else if (seg === '.') {
      if (i === segments.length - 1) stack.push('');
    } else if (seg === '' && o.collapse && i !== segments.length - 1) {
      // merged
    } else stack.push(seg);
  });
  return `/${stack.join('/')}`;
}

const readings: Record<string, (path: string) => string> = {
  'WHATWG URL (backslash is "/", %2e is ".")': (p) => new URL(p, 'http://server.invalid').pathname,
  'RFC 3986 (unreserved decoded, dots resolved, "//" kept)': (p) =>
    resolveDots(
      p.replace(/%(2[dDeE]|5[fF]|7[eE]|[46][1-9a-fA-F]|[57][0-9aA]|3[0-9])/g, (m) => decode(m, false)),
      { collapse: false, params: false },
    ),
  'decode, merge slashes, resolve (nginx)': (p) => resolveDots(decode(p, false), { collapse: true, params: false }),
  'decode twice (a second decoding layer)': (p) => resolveDots(decode(decode(p, false), false), { collapse: false, params: false }),
  'backslash is a separator after decoding (IIS)': (p) =>
    resolveDots(decode(p, false).replaceAll('\\', '/'), { collapse: false, params: false }),
  'strip ;params, then resolve (Tomcat)': (p) => resolveDots(decode(p, false), { collapse: false, params: true }),
  'lenient UTF-8 and NFKC (overlong and fullwidth dots)': (p) => resolveDots(decode(p, true), { collapse: false, params: false }),
};

// --- cases ---------------------------------------------------------------------------------------------

const REFUSED = [
  '/public/..\\admin',
  '/public/..%5Cadmin',
  '/public/%5c..%5cadmin',
  '/public/%252e%252e/admin',
  '/public/%252e%252e%252fadmin',
  '/public/%c0%ae%c0%ae/admin',
  '/public/%ef%bc%8e%ef%bc%8e/admin',
  '/public/..%ef%bc%8fadmin',
  '/public/%2e%2e/admin',
  '/public/.%2e/admin',
  '/public/%2e/x',
  '/admin/..;/public/x',
  '/public/readme;jsessionid=abc',
  '/public/a%3Bb',
  '/../admin',
  '/public/%00',
];

const CANONICAL: Array<[string, string]> = [
  ['/admin//../public/x', '/public/x'],
  ['/secret/../public/readme', '/public/readme'],
  ['//public//readme', '/public/readme'],
  ['/public/./x', '/public/x'],
  ['/public/%7Euser/%41', '/public/~user/A'],
  ['/public/caf%c3%a9', '/public/caf%C3%A9'],
  ['/public/a%20b', '/public/a%20b'],
  ['/public/x?next=/admin/../x&b=%2e%2e', '/public/x?next=/admin/../x&b=%2e%2e'],
];

describe.each(channels(() => harness, { host: 'plain.test', port: () => plain.port }, { host: 'inspected.test', port: () => secure.port }))(
  '$name',
  (channel) => {
    const upstream = () => (channel.name === 'plain HTTP' ? plain : secure);
    const send = async (path: string) => {
      const c = await channel.open();
      c.write(`GET ${channel.target(path)} HTTP/1.1\r\nHost: ${channel.host}\r\n\r\n`);
      return c.response();
    };

    it.each(REFUSED)('%s is refused with 400 and a JSON reason, and nothing reaches the upstream', async (path) => {
      const before = upstream().requests.length;
      const r = await send(path);
      expect(r.status).toBe(400);
      expect(r.header('content-type')).toBe('application/json');
      expect(JSON.parse(r.body.toString())).toMatchObject({ error: 'bad_request', reason: expect.any(String) });
      expect(upstream().requests.slice(before)).toEqual([]);
    });

    it.each(CANONICAL)('%s goes upstream as the decided %s', async (path, forwarded) => {
      const before = upstream().requests.length;
      const r = await send(path);
      expect(r.status).toBe(200);
      expect(
        upstream()
          .requests.slice(before)
          .map((x) => x.target),
      ).toEqual([forwarded]);
      const [decided] = (await harness.audit()).filter((a) => a.action === 'Allowed').slice(-1);
      expect((decided.unmapped as { url_path: string }).url_path).toBe(forwarded.split('?')[0]);
    });

    it("an encoded slash is the endpoint's to allow (allow_encoded_slash): here it is refused by the decision (403)", async () => {
      const before = upstream().requests.length;
      const r = await send('/public/%2fadmin');
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body.toString())).toMatchObject({ stage: 'l7', reason: expect.stringContaining('%2F') });
      expect(upstream().requests.slice(before)).toEqual([]);
    });

    it('a "//" path is decided and forwarded collapsed, never as an authority', async () => {
      const before = upstream().requests.length;
      const r = await send('//public/evil.test/x');
      expect(r.status).toBe(200);
      expect(
        upstream()
          .requests.slice(before)
          .map((x) => x.target),
      ).toEqual(['/public/evil.test/x']);
    });

    it.each(Object.keys(readings))('no request that reached the upstream leaves /public/ when read as by: %s', (reading) => {
      for (const r of upstream().requests) {
        const path = r.target.split('?')[0];
        expect(readings[reading](path), `${r.target}`).toMatch(/^\/public\//);
      }
    });
  },
);

describe('absolute-form targets on plain HTTP', () => {
  const send = async (line: string) => {
    const c = await harness.client();
    c.write(`${line}\r\nHost: plain.test\r\n\r\n`);
    return c.response();
  };

  it.each([
    ['userinfo', () => `GET http://user@plain.test:${plain.port}/public/x HTTP/1.1`],
    ['a backslash in the authority', () => `GET http://plain.test:${plain.port}\\@evil.test/public/x HTTP/1.1`],
    ['a backslash right after the authority', () => `GET http://plain.test:${plain.port}\\public/x HTTP/1.1`],
  ])('%s is refused with 400 and nothing reaches the upstream', async (_case, line) => {
    const before = plain.requests.length;
    expect((await send(line())).status).toBe(400);
    expect(plain.requests.slice(before)).toEqual([]);
  });

  it('scheme and host case do not matter; the upstream gets the canonical path and a lower-case Host', async () => {
    const before = plain.requests.length;
    const r = await send(`GET HTTP://PLAIN.TEST:${plain.port}/public/./Case HTTP/1.1`);
    expect(r.status).toBe(200);
    const [seen] = plain.requests.slice(before);
    expect(seen.target).toBe('/public/Case');
    expect(plain.header(seen, 'host')).toBe(`plain.test:${plain.port}`);
  });
});
