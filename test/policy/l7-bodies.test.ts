// Hostile bodies cost bounded work and get a clear reason: non-UTF-8 bytes, lone surrogates, deep
// nesting, huge batches, oversized bodies, token floods in GraphQL. And the warnings an operator sees
// for a policy the core would otherwise weaken.
import { describe, expect, it } from 'vitest';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { decide } from '../../src/core/policy/decide.js';
import { policyWarnings } from '../../src/core/policy/effective-warnings.js';
import { scanGraphqlDocument } from '../../src/core/policy/l7/graphql-scan.js';
import { compilePolicy } from '../../src/core/policy/matcher.js';
import { parseStrictJson } from '../../src/core/policy/strict-json.js';
import type { DecisionRequest, SandboxPolicy } from '../../src/core/policy/types.js';

const policy: SandboxPolicy = {
  version: 1,
  network_policies: {
    rpc: {
      endpoints: [
        { host: 'rpc.test', port: 8000, protocol: 'json-rpc', enforcement: 'enforce', rules: [{ allow: { method: '*' } }] },
        { host: 'mcp.test', port: 8000, protocol: 'mcp', enforcement: 'enforce', mcp: { allow_all_known_mcp_methods: true } },
        { host: 'gql.test', port: 443, protocol: 'graphql', enforcement: 'enforce', access: 'full' },
      ],
      binaries: [{ path: '/usr/bin/agent' }],
    },
  },
};
const compiled = compilePolicy(policy);
const post = (host: string, body: Uint8Array | string, headers?: DecisionRequest['headers']) =>
  decide(compiled, { host, port: host === 'gql.test' ? 443 : 8000, binary: '/usr/bin/agent', method: 'POST', path: '/', body, headers });

describe('hostile bodies', () => {
  it('refuses bytes that are not UTF-8, and accepts the same call as UTF-8 bytes', () => {
    const good = new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"caf\u00e9"}');
    expect(post('rpc.test', good)).toMatchObject({ outcome: 'allow', stage: 'l7' });
    const bad = Uint8Array.from([...new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"x'), 0xff, 0x22, 0x7d]);
    expect(post('rpc.test', bad)).toMatchObject({ outcome: 'deny', reason: expect.stringContaining('not valid UTF-8') });
  });

  it('refuses lone surrogates, raw or escaped', () => {
    expect(post('rpc.test', '{"jsonrpc":"2.0","id":1,"method":"\ud800"}').reason).toContain('not valid UTF-8');
    expect(post('rpc.test', '{"jsonrpc":"2.0","id":1,"method":"\\ud800"}').reason).toContain('surrogate');
  });

  it('refuses nesting deeper than 128 levels without recursing through all of it', () => {
    const deep = `{"jsonrpc":"2.0","id":1,"method":"x","params":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const started = performance.now();
    const d = post('rpc.test', deep);
    expect(d).toMatchObject({ outcome: 'deny', reason: expect.stringContaining('nesting deeper than 128') });
    expect(performance.now() - started).toBeLessThan(5_000); // generous: a loose bound on work, not a speed claim
    expect(parseStrictJson(`${'['.repeat(128)}${']'.repeat(128)}`).ok).toBe(true);
  });

  it('refuses a JSON-RPC batch of more than 1,024 calls', () => {
    const call = '{"jsonrpc":"2.0","method":"a"}';
    const many = `[${Array(1025).fill(call).join(',')}]`;
    const big = compilePolicy({
      version: 1,
      network_policies: {
        r: {
          endpoints: [
            {
              host: 'rpc.test',
              port: 8000,
              protocol: 'json-rpc',
              json_rpc: { max_body_bytes: 1 << 20 },
              rules: [{ allow: { method: '*' } }],
            },
          ],
          binaries: [{ path: '/usr/bin/agent' }],
        },
      },
    });
    const d = decide(big, { host: 'rpc.test', port: 8000, binary: '/usr/bin/agent', method: 'POST', path: '/', body: many });
    expect(d).toMatchObject({ outcome: 'deny', reason: expect.stringContaining('exceeds 1024') });
  });

  it('refuses a body over the limit before reading it', () => {
    const d = post('mcp.test', `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"p":"${'x'.repeat(70_000)}"}}`, {
      'MCP-Protocol-Version': '2025-11-25',
    });
    expect(d).toMatchObject({ outcome: 'deny', reason: expect.stringContaining('exceeds the 65536 byte inspection limit') });
  });

  it('bounds a GraphQL token flood', () => {
    const flood = `{ ${'a '.repeat(30_000)}}`;
    const scanned = scanGraphqlDocument(flood);
    expect(scanned).toMatchObject({ ok: false, error: expect.stringContaining('token limit') });
    expect(post('gql.test', JSON.stringify({ query: flood }))).toMatchObject({
      outcome: 'deny',
      reason: expect.stringContaining('token limit'),
    });
  });

  it('rejects garbage JSON with a position', () => {
    for (const text of ['', ' ', '{"a":}', '[1,]', '{"a" 1}', '01', '"\\x"', '\ufeff{}', 'nul', '{"a":1}x']) {
      const r = parseStrictJson(text);
      expect(r.ok, text).toBe(false);
    }
    expect(parseStrictJson('{"a":[1,-2.5e3,true,false,null,"\\u00e9\\n"]}')).toEqual({
      ok: true,
      value: { a: [1, -2500, true, false, null, '\u00e9\n'] },
    });
  });
});

describe('warnings an operator sees', () => {
  const weak: SandboxPolicy = {
    version: 1,
    network_policies: {
      w: {
        endpoints: [
          { host: 'a.test', port: 443, protocol: 'rest', enforcement: 'Enforce', access: 'read-only' },
          { host: 'b.test', port: 443, rules: [{ allow: { method: 'GET', path: '/**' } }] },
          { host: 'c.test', port: 443, protocol: 'rest', tls: 'skip', access: 'read-only' },
          { host: 'd.test', port: 5432, protocol: 'sql', access: 'full' },
          { host: 'e.test', port: 443, protocol: 'mcp', mcp: { versions: ['2026-07-28'], allow_all_known_mcp_methods: true } },
        ],
        binaries: [{ path: '/usr/bin/agent' }],
      },
    },
  };

  it('names every endpoint the core would otherwise weaken or cannot enforce', () => {
    const text = policyWarnings(weak).join('\n');
    expect(text).toContain("enforcement 'Enforce' is read as 'enforce'");
    expect(text).toContain('ignored without protocol');
    expect(text).toContain('tls: skip with protocol rest');
    expect(text).toContain('protocol sql is audit-only');
    expect(text).toContain('denies every request');
  });

  it('are logged by the core at start, and again when a reload brings new ones', () => {
    const core = new EnforcementCore({ baseline: weak });
    const logged = core.logs.since(0).filter((l) => l.source === 'policy' && l.level === 'warn');
    expect(logged.length).toBe(core.policyWarnings.length);
    expect(core.policyWarnings.length).toBeGreaterThanOrEqual(5);
    core.shutdown();
  });
});
