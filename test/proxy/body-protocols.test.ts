// Endpoints decided on the body (json-rpc, mcp, graphql), enforced end to end through the real proxy over
// real sockets, plain HTTP and inside TLS-inspected tunnels, against upstreams that log every byte they
// receive. Before this wiring the proxy never gave the core a body, so every POST to such an endpoint was
// refused as "the request has no body" (nothing allowed got through either). Now: what the policy forbids
// (a method outside the allow list, a batch with one forbidden call, a tool in deny_rules, a mutation
// where only queries are allowed, a body that is not JSON-RPC) never reaches the upstream; what it allows
// arrives byte for byte, framed by its length; a body over the inspection limit is refused unread (413).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxPolicy } from '../../src/core/policy/types.js';
import { channels } from './support/channels.js';
import { startProxyHarness, type ProxyHarness } from './support/proxy-harness.js';
import { startRawUpstream, type RawUpstream } from './support/raw-upstream.js';
import { firstHead } from './support/channels.js';

let harness: ProxyHarness;
let plain: RawUpstream;
let secure: RawUpstream;

const MCP_VERSION = { 'MCP-Protocol-Version': '2025-11-25' };

function policy(ports: number[]): SandboxPolicy {
  const each = (endpoint: Record<string, unknown>) => ports.map((port) => ({ ...endpoint, port }));
  return {
    version: 1,
    network_policies: {
      bodies: {
        name: 'bodies',
        endpoints: [
          ...each({
            host: 'rpc.test',
            protocol: 'json-rpc',
            enforcement: 'enforce',
            json_rpc: { max_body_bytes: 4096 },
            rules: [{ allow: { method: 'eth_call' } }, { allow: { method: 'eth_blockNumber' } }],
          }),
          ...each({
            host: 'mcp.test',
            path: '/mcp',
            protocol: 'mcp',
            enforcement: 'enforce',
            rules: [
              { allow: { method: 'initialize' } },
              { allow: { method: 'tools/list' } },
              { allow: { method: 'tools/call', tool: 'read_*' } },
            ],
            deny_rules: [{ method: 'tools/call', tool: 'delete_repo' }],
          }),
          ...each({
            host: 'gql.test',
            path: '/graphql',
            protocol: 'graphql',
            enforcement: 'enforce',
            rules: [{ allow: { operation_type: 'query' } }],
          }),
        ],
        binaries: [{ path: '**' }],
      },
    },
  };
}

beforeAll(async () => {
  plain = await startRawUpstream();
  const holder: { ca?: ProxyHarness['upstreamCa'] } = {};
  secure = await startRawUpstream({ tls: (name) => holder.ca!.secureContextFor(name) });
  harness = await startProxyHarness({
    policy: policy([plain.port, secure.port]),
    resolve: ['rpc.test:127.0.0.1', 'mcp.test:127.0.0.1', 'gql.test:127.0.0.1'],
  });
  holder.ca = harness.upstreamCa;
});

afterAll(async () => {
  await harness?.close();
  await plain?.close();
  await secure?.close();
});

const hosts = ['rpc.test', 'mcp.test', 'gql.test'];

describe.each(
  hosts.flatMap((host) =>
    channels(() => harness, { host, port: () => plain.port }, { host, port: () => secure.port }).map((channel) => ({
      channel,
      label: `${host} over ${channel.name}`,
    })),
  ),
)('$label', ({ channel }) => {
  const upstream = () => (channel.name === 'plain HTTP' ? plain : secure);
  const path = channel.host === 'mcp.test' ? '/mcp' : channel.host === 'gql.test' ? '/graphql' : '/';
  const post = (body: string, headers: Record<string, string> = {}, framing: 'length' | 'chunked' = 'length') => {
    let head = `POST ${channel.target(path)} HTTP/1.1\r\nHost: ${channel.host}:${channel.port}\r\nContent-Type: application/json\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    if (framing === 'chunked') {
      const bytes = Buffer.from(body);
      const half = Math.floor(bytes.length / 2);
      const chunk = (b: Buffer) => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
      return Buffer.concat([
        Buffer.from(`${head}Transfer-Encoding: chunked\r\n\r\n`),
        chunk(bytes.subarray(0, half)),
        chunk(bytes.subarray(half)),
        Buffer.from('0\r\n\r\n'),
      ]);
    }
    return Buffer.concat([Buffer.from(`${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`), Buffer.from(body)]);
  };
  /** Sends one request on a fresh connection; returns the answer and what the upstream received meanwhile. */
  const exchange = async (request: Buffer) => {
    const before = upstream().requests.length;
    const c = await channel.open();
    c.write(request);
    const response = await c.finalResponse('POST');
    c.destroy();
    return {
      response,
      seen: upstream()
        .requests.slice(before)
        .filter((r) => r.target === path),
    };
  };

  const allowed: Record<string, string[]> = {
    'rpc.test': [
      '{"jsonrpc":"2.0","id":7,"method":"eth_call","params":[{"to":"0x0"},"latest"]}',
      '[{"jsonrpc":"2.0","id":1,"method":"eth_call"},{"jsonrpc":"2.0","id":2,"method":"eth_blockNumber"}]',
    ],
    'mcp.test': [
      '{"jsonrpc":"2.0","id":3,"method":"tools/list"}',
      '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"a"}}}',
    ],
    'gql.test': ['{"query":"query Q { viewer { login } }"}', '{"query":"{ repository(name: \\"x\\") { id } }"}'],
  };
  const forbidden: Record<string, Array<[string, string]>> = {
    'rpc.test': [
      ['a method outside the allow list', '{"jsonrpc":"2.0","id":9,"method":"eth_sendTransaction","params":[]}'],
      [
        'a batch with one forbidden call',
        '[{"jsonrpc":"2.0","id":1,"method":"eth_call"},{"jsonrpc":"2.0","id":2,"method":"eth_sendTransaction"}]',
      ],
      ['a body that is not JSON', 'method=eth_sendTransaction'],
      ['a response frame', '{"jsonrpc":"2.0","id":1,"result":"0x1"}'],
    ],
    'mcp.test': [
      ['a tools/call in deny_rules', '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"delete_repo","arguments":{}}}'],
      ['an unlisted tool', '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"write_file"}}'],
      [
        'a batch (MCP 2025-11-25 has none) carrying a denied tool',
        '[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"delete_repo"}}]',
      ],
    ],
    'gql.test': [
      ['a mutation where only queries are allowed', '{"query":"mutation M { deleteRepository(id: 1) { id } }"}'],
      [
        'a mutation behind a query in the same document',
        '{"query":"query A { a } mutation B { deleteRepository(id: 1) }","operationName":"B"}',
      ],
      ['a body that is not GraphQL', '{"nope":1}'],
    ],
  };
  const headers = channel.host === 'mcp.test' ? MCP_VERSION : {};

  it.each(
    allowed[channel.host].flatMap((body) => [
      { body, framing: 'length' as const },
      { body, framing: 'chunked' as const },
    ]),
  )('allowed: $body ($framing) arrives byte for byte, framed by its length', async ({ body, framing }) => {
    const { response, seen } = await exchange(post(body, headers, framing));
    expect(response.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0].body.toString()).toBe(body);
    expect(upstream().header(seen[0], 'content-length')).toBe(String(Buffer.byteLength(body)));
    expect(upstream().header(seen[0], 'transfer-encoding')).toBeUndefined();
  });

  it.each(forbidden[channel.host])('forbidden: %s never reaches the upstream (403)', async (_what, body) => {
    const { response, seen } = await exchange(post(body, headers));
    expect(response.status).toBe(403);
    expect(seen).toEqual([]);
    const json = JSON.parse(response.body.toString());
    if (channel.host === 'gql.test') expect(json).toMatchObject({ error: 'egress_denied', stage: 'l7' });
    else {
      const first = Array.isArray(json) ? json[0] : json;
      expect(first).toMatchObject({ jsonrpc: '2.0', error: { message: expect.stringContaining('Forbidden by policy') } });
    }
  });

  it('a body over the inspection limit is refused unread (413), and audited', async () => {
    const big = `{"jsonrpc":"2.0","id":1,"method":"eth_call","params":["${'x'.repeat(70 * 1024)}"]}`;
    const { response, seen } = await exchange(post(big, headers));
    expect(response.status).toBe(413);
    expect(seen).toEqual([]);
    const chunked = await exchange(post(big, headers, 'chunked'));
    expect(chunked.response.status).toBe(413);
    expect(chunked.seen).toEqual([]);
    const audit = await harness.audit();
    expect(JSON.stringify(audit.filter((e) => JSON.stringify(e).includes('inspection limit')))).toContain(channel.host);
  });

  it('Expect: 100-continue: 100 only when the body will be read, then decided on it; over the limit: 413 before any body', async () => {
    const body = allowed[channel.host][0];
    const before = upstream().requests.length;
    const c = await channel.open();
    let head = `POST ${channel.target(path)} HTTP/1.1\r\nHost: ${channel.host}:${channel.port}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    c.write(`${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
    const interim = await c.response('POST');
    expect(interim.status).toBe(100);
    c.write(body);
    expect((await c.finalResponse('POST')).status).toBe(200);
    const [seen] = upstream().requests.slice(before);
    expect(seen.body.toString()).toBe(body);
    expect(upstream().header(seen, 'expect')).toBeUndefined();
    c.destroy();

    const big = await channel.open();
    big.write(`${head}Content-Length: 10000000\r\n\r\n`);
    const answer = await firstHead(big);
    expect(answer.status).toBe(413);
    expect(answer.head).toMatch(/\r\nconnection: close/i);
    big.destroy();
  });
});
