// A GraphQL POST decided on its body must not carry another operation in its URL. express-graphql (and
// servers built the same way) read each control parameter from the URL first and the body second, so
// `POST /graphql?query=mutation…` with the body `{"query":"query Q { a }"}` ran the mutation while the
// proxy allowed the query it read from the body; `?operationName=B` picked the mutation out of a body that
// named the query. Over real sockets, plain HTTP and TLS-inspected: refused (403), nothing reaches the
// upstream; a POST with an unrelated query string is still decided on its body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxPolicy } from '../../src/core/policy/types.js';
import { channels } from './support/channels.js';
import { startProxyHarness, type ProxyHarness } from './support/proxy-harness.js';
import { startRawUpstream, type RawUpstream } from './support/raw-upstream.js';

let harness: ProxyHarness;
let plain: RawUpstream;
let secure: RawUpstream;

beforeAll(async () => {
  plain = await startRawUpstream();
  const holder: { ca?: ProxyHarness['upstreamCa'] } = {};
  secure = await startRawUpstream({ tls: (name) => holder.ca!.secureContextFor(name) });
  const endpoint = (port: number) => ({
    host: 'gql.test',
    port,
    path: '/graphql',
    protocol: 'graphql',
    enforcement: 'enforce',
    rules: [{ allow: { operation_type: 'query' } }],
  });
  const policy = {
    version: 1,
    network_policies: { gql: { name: 'gql', endpoints: [endpoint(plain.port), endpoint(secure.port)], binaries: [{ path: '**' }] } },
  } as SandboxPolicy;
  harness = await startProxyHarness({ policy, resolve: ['gql.test:127.0.0.1'] });
  holder.ca = harness.upstreamCa;
});

afterAll(async () => {
  await harness?.close();
  await plain?.close();
  await secure?.close();
});

const MUTATION = encodeURIComponent('mutation M { deleteRepository(id: 1) { id } }');

describe.each(channels(() => harness, { host: 'gql.test', port: () => plain.port }, { host: 'gql.test', port: () => secure.port }))(
  '$name',
  (channel) => {
    const upstream = () => (channel.name === 'plain HTTP' ? plain : secure);
    const post = async (pathAndQuery: string, body: string) => {
      const before = upstream().requests.length;
      const c = await channel.open();
      c.write(
        `POST ${channel.target(pathAndQuery)} HTTP/1.1\r\nHost: gql.test\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      const response = await c.finalResponse('POST');
      c.destroy();
      return { status: response.status, body: response.body.toString(), reached: upstream().requests.slice(before) };
    };

    it.each([
      ['a mutation in ?query=', `/graphql?query=${MUTATION}`, '{"query":"query Q { viewer { login } }"}'],
      [
        '?operationName= naming the mutation of the body',
        '/graphql?operationName=B',
        '{"query":"query A { a } mutation B { b }","operationName":"A"}',
      ],
      ['a persisted-query id in the URL', '/graphql?id=deleteEverything', '{"query":"query Q { a }"}'],
      [
        'extensions in the URL',
        `/graphql?extensions=${encodeURIComponent('{"persistedQuery":{"version":1,"sha256Hash":"ab"}}')}`,
        '{"query":"query Q { a }"}',
      ],
    ])('%s beside an allowed body: refused, nothing reaches the upstream', async (_what, target, body) => {
      const r = await post(target, body);
      expect(r.status).toBe(403);
      expect(r.body).toMatch(/URL and the body/);
      expect(r.reached).toEqual([]);
    });

    it('a query string without GraphQL parameters is fine: decided on the body', async () => {
      const r = await post('/graphql?trace=1', '{"query":"query Q { a }"}');
      expect(r.status).toBe(200);
      expect(r.reached.map((x) => x.line)).toEqual(['POST /graphql?trace=1 HTTP/1.1']);
    });
  },
);
