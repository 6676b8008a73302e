// Deny rules cannot be sidestepped by a spelling the upstream server reads as the denied resource, over
// real sockets, plain HTTP and inside TLS-inspected tunnels. The endpoint allows everything but /admin
// and a DELETE that carries user_id. Each attack below reached the upstream before it was closed:
// - a path character that folds into ASCII: by NFKC (fullwidth "ａ", the Kelvin sign, a no-break space),
//   which normalising servers (IIS best-fit, NFKC-normalising frameworks) apply, or by simple case
//   mapping (dotless ı upper-cases to I, dotted İ lower-cases to i), which case-insensitive routers in
//   Java and .NET apply: /adm%C4%B1n is /admin there. Refused (400), as other ambiguous spellings are.
// - a query name PHP mangles into the denied one (user.id, user id, user[id are all user_id to PHP), or
//   that hides the name behind ";" (x=1&amp;user_id=1, on servers that split on ";"): denied (403).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxPolicy } from '../../src/core/policy/types.js';
import { startRawUpstream, type RawUpstream } from './support/raw-upstream.js';
import { startProxyHarness, type ProxyHarness } from './support/proxy-harness.js';
import { channels } from './support/channels.js';

let harness: ProxyHarness;
let plain: RawUpstream;
let secure: RawUpstream;

beforeAll(async () => {
  plain = await startRawUpstream();
  const holder: { ca?: ProxyHarness['upstreamCa'] } = {};
  secure = await startRawUpstream({ tls: (name) => holder.ca!.secureContextFor(name) });
  const endpoint = (host: string, port: number) => ({
    host,
    port,
    protocol: 'rest',
    enforcement: 'enforce',
    rules: [{ allow: { method: '*', path: '**' } }],
    deny_rules: [
      { method: '*', path: '/admin/**' },
      { method: 'DELETE', path: '/users/*', query: { user_id: '*' } },
    ],
  });
  const policy = {
    version: 1,
    network_policies: {
      api: {
        name: 'api',
        endpoints: [endpoint('plain.test', plain.port), endpoint('inspected.test', secure.port)],
        binaries: [{ path: '**' }],
      },
    },
  } as SandboxPolicy;
  harness = await startProxyHarness({ policy, resolve: ['plain.test:127.0.0.1', 'inspected.test:127.0.0.1'] });
  holder.ca = harness.upstreamCa;
});

afterAll(async () => {
  await harness?.close();
  await plain?.close();
  await secure?.close();
});

const UNICODE_PATHS = [
  ['/%EF%BD%81dmin/users', 'fullwidth a (NFKC: a)'],
  ['/ADM%E2%84%AAN/users', 'the Kelvin sign (NFKC: K)'],
  ['/admin%C2%A0/users', 'a no-break space (NFKC: a blank, which lenient routers drop)'],
  ['/adm%C4%B1n/users', 'dotless i (upper case: I)'],
  ['/%C4%B0ADMIN/users', 'dotted I (simple lower case: i)'],
];

const QUERY_SPELLINGS = ['user.id=1', 'user%20id=1', 'user+id=1', 'user[id=1', 'user_id[a]b=1', 'x=1&amp;user_id=1', 'x=1;user_id=1'];

describe.each(channels(() => harness, { host: 'plain.test', port: () => plain.port }, { host: 'inspected.test', port: () => secure.port }))(
  '$name',
  (channel) => {
    const upstream = () => (channel.name === 'plain HTTP' ? plain : secure);
    const send = async (method: string, path: string) => {
      const before = upstream().requests.length;
      const c = await channel.open();
      c.write(`${method} ${channel.target(path)} HTTP/1.1\r\nHost: ${channel.host}\r\n\r\n`);
      const response = await c.finalResponse(method);
      c.destroy();
      return { response, reached: upstream().requests.slice(before) };
    };

    it.each(UNICODE_PATHS)('%s (%s) is refused with 400 and never reaches the upstream', async (path) => {
      const { response, reached } = await send('GET', path);
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body.toString()).reason).toMatch(/read as ASCII/);
      expect(reached).toEqual([]);
    });

    it.each(QUERY_SPELLINGS)('DELETE /users/1?%s is denied (403) and never reaches the upstream', async (query) => {
      const { response, reached } = await send('DELETE', `/users/1?${query}`);
      expect(response.status).toBe(403);
      expect(reached).toEqual([]);
    });

    it('what does not fold into the denied resource still goes through: /caf%C3%A9, /administrators, userid=', async () => {
      for (const [method, path] of [
        ['GET', '/caf%C3%A9'],
        ['GET', '/administrators'],
        ['DELETE', '/users/1?userid=1'],
      ]) {
        const { response, reached } = await send(method, path);
        expect(response.status, path).toBe(200);
        expect(reached.map((r) => r.line)).toEqual([`${method} ${path} HTTP/1.1`]);
      }
    });
  },
);
