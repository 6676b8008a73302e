// The inbox shows L7, over real sockets through the real proxy and core: an MCP tools/call of a tool no
// rule lists, a JSON-RPC method outside the allow list and a GraphQL operation not allowed each wait as an
// entry of their own carrying what was read (tool and server host, method, operation); two tools on one
// host are two entries; approving one allows exactly that tool (the other still waits, a deny rule still
// denies, nothing else on the host opens up); promote writes a preset allowing exactly that operation. The
// agent is refused with a JSON-RPC error naming its call id and the entry to ask about.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PresetManager } from '../../src/core/presets/preset-manager.js';
import { PresetStore } from '../../src/core/presets/preset-store.js';
import { parsePolicyText } from '../../src/core/policy/source.js';
import type { SandboxPolicy } from '../../src/core/policy/types.js';
import { startProxyHarness, type ProxyHarness } from './support/proxy-harness.js';
import { startRawUpstream, type RawUpstream } from './support/raw-upstream.js';

let harness: ProxyHarness;
let upstream: RawUpstream;
let store: PresetStore;
let presets: PresetManager;
let presetDir: string;

/** Who the proxy says every client is (identity by socket is tested elsewhere). */
const BIN = '/usr/bin/agent';

function policy(port: number): SandboxPolicy {
  return {
    version: 1,
    network_policies: {
      servers: {
        name: 'servers',
        endpoints: [
          {
            host: 'mcp.test',
            port,
            path: '/mcp',
            protocol: 'mcp',
            enforcement: 'enforce',
            rules: [
              { allow: { method: 'initialize' } },
              { allow: { method: 'tools/list' } },
              { allow: { method: 'tools/call', tool: 'read_*' } },
            ],
            deny_rules: [{ method: 'tools/call', tool: 'delete_repo' }],
          },
          { host: 'rpc.test', port, protocol: 'json-rpc', enforcement: 'enforce', rules: [{ allow: { method: 'eth_call' } }] },
          {
            host: 'gql.test',
            port,
            path: '/graphql',
            protocol: 'graphql',
            enforcement: 'enforce',
            rules: [{ allow: { operation_type: 'query' } }],
          },
        ],
        binaries: [{ path: BIN }],
      },
    },
  };
}

beforeAll(async () => {
  upstream = await startRawUpstream();
  presetDir = mkdtempSync(join(tmpdir(), 'ost-l7-inbox-presets-'));
  store = await PresetStore.open(presetDir);
  harness = await startProxyHarness({
    policy: policy(upstream.port),
    resolve: ['mcp.test:127.0.0.1', 'rpc.test:127.0.0.1', 'gql.test:127.0.0.1'],
    presetLayers: () => store.layers(),
    identify: async () => ({ binary: BIN }),
  });
  presets = new PresetManager(store, harness.core);
});

afterAll(async () => {
  await harness?.close();
  await upstream?.close();
  rmSync(presetDir, { recursive: true, force: true });
});

const call = (id: number, tool: string) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: {} } });

async function post(host: string, path: string, body: string, headers: Record<string, string> = {}) {
  const before = upstream.requests.length;
  const c = await harness.client();
  let head = `POST http://${host}:${upstream.port}${path} HTTP/1.1\r\nHost: ${host}:${upstream.port}\r\nContent-Type: application/json\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  c.write(`${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const response = await c.finalResponse('POST');
  c.destroy();
  const text = response.body.toString();
  const json = response.header('content-type') === 'application/json' ? JSON.parse(text) : undefined;
  return { status: response.status, json, seen: upstream.requests.slice(before) };
}

const mcp = (body: string) => post('mcp.test', '/mcp', body, { 'MCP-Protocol-Version': '2025-11-25' });
const entries = () => harness.core.listRequests();

describe('the inbox shows L7', () => {
  it('an unknown MCP tool waits as its own entry with the tool and server; the agent gets a JSON-RPC error with its id', async () => {
    const r = await mcp(call(41, 'write_file'));
    expect(r.status).toBe(403);
    expect(r.seen).toEqual([]);
    const entry = entries().find((e) => e.operation?.kind === 'mcp' && e.operation.tool === 'write_file');
    expect(entry).toMatchObject({
      host: 'mcp.test',
      status: 'pending',
      operation: { method: 'tools/call', tool: 'write_file' },
      operationPath: '/mcp',
    });
    expect(entry!.samples[0]).toMatchObject({ method: 'POST', path: '/mcp', operation: "MCP tools/call tool 'write_file'" });
    expect(r.json).toMatchObject({
      jsonrpc: '2.0',
      id: 41,
      error: { code: -32001, message: expect.stringContaining(`request ${entry!.id}`) },
    });
    expect(r.json.error.data).toMatchObject({ error: 'egress_denied', request_id: entry!.id });
  });

  it('two tools on one host are two entries; the same tool again folds into its entry', async () => {
    await mcp(call(1, 'send_mail'));
    await mcp(call(2, 'write_file'));
    const mine = entries().filter((e) => e.host === 'mcp.test' && e.operation);
    expect(mine.map((e) => (e.operation as { tool?: string }).tool).sort()).toEqual(['send_mail', 'write_file']);
    expect(mine.find((e) => (e.operation as { tool?: string }).tool === 'write_file')!.hits).toBe(2);
  });

  it('a deny-rule tool is refused, not asked about', async () => {
    const r = await mcp(call(3, 'delete_repo'));
    expect(r.status).toBe(403);
    expect(entries().some((e) => (e.operation as { tool?: string } | undefined)?.tool === 'delete_repo')).toBe(false);
  });

  it('a JSON-RPC method and a GraphQL operation wait with what was read', async () => {
    const rpc = await post('rpc.test', '/', '{"jsonrpc":"2.0","id":"a","method":"eth_sendTransaction","params":[]}');
    expect(rpc.status).toBe(403);
    expect(rpc.json).toMatchObject({ id: 'a', error: { code: -32001 } });
    const gql = await post('gql.test', '/graphql', '{"query":"mutation CreateIssue { createIssue(title: \\"x\\") { id } }"}');
    expect(gql.status).toBe(403);
    expect(entries().find((e) => e.host === 'rpc.test')).toMatchObject({ operation: { kind: 'json-rpc', method: 'eth_sendTransaction' } });
    const g = entries().find((e) => e.host === 'gql.test')!;
    expect(g).toMatchObject({ operation: { kind: 'graphql', operationType: 'mutation', operationName: 'CreateIssue' } });
    expect(g.samples[0].operation).toBe("GraphQL mutation 'CreateIssue'");
  });

  it('approving a tool allows exactly that tool, byte for byte; the other tool still waits, the deny rule still denies', async () => {
    const write = entries().find((e) => (e.operation as { tool?: string } | undefined)?.tool === 'write_file')!;
    harness.core.approve(write.id);
    const body = call(5, 'write_file');
    const ok = await mcp(body);
    expect(ok.status).toBe(200);
    expect(ok.seen.map((s) => s.body.toString())).toEqual([body]);
    const other = await mcp(call(6, 'send_mail'));
    expect(other.status).toBe(403);
    expect(other.seen).toEqual([]);
    const denied = await mcp(call(7, 'delete_repo'));
    expect(denied.status).toBe(403);
    expect(denied.seen).toEqual([]);
    // Not the whole host: a method nothing lists is still refused.
    const prompts = await mcp('{"jsonrpc":"2.0","id":8,"method":"prompts/list"}');
    expect(prompts.status).toBe(403);
    expect(prompts.seen).toEqual([]);
  });

  it('rejecting a tool refuses it at once next time, without touching the others', async () => {
    const send = entries().find((e) => (e.operation as { tool?: string } | undefined)?.tool === 'send_mail')!;
    harness.core.reject(send.id, 'no mail');
    const again = await mcp(call(9, 'send_mail'));
    expect(again.status).toBe(403);
    expect(again.json.error.message).toContain('rejected by the operator');
  });

  it('promote writes a preset allowing exactly that method, and releases it', async () => {
    const rpc = entries().find((e) => e.host === 'rpc.test')!;
    const result = await presets.promote(rpc.id, { name: 'rpc-send' });
    const loaded = parsePolicyText(readFileSync(result.file, 'utf8'), result.file, 'preset');
    expect(loaded.errors).toEqual([]);
    const doc = loaded.document?.kind === 'preset' ? loaded.document.preset : undefined;
    const endpoint = Object.values(doc!.network_policies)[0].endpoints[0];
    expect(endpoint).toMatchObject({
      host: 'rpc.test',
      protocol: 'json-rpc',
      enforcement: 'enforce',
      rules: [{ allow: { method: 'eth_sendTransaction' } }],
    });
    expect(result.released).toContain(rpc.id);
    const body = '{"jsonrpc":"2.0","id":"b","method":"eth_sendTransaction","params":[]}';
    const ok = await post('rpc.test', '/', body);
    expect(ok.status).toBe(200);
    expect(ok.seen.map((s) => s.body.toString())).toEqual([body]);
    const other = await post('rpc.test', '/', '{"jsonrpc":"2.0","id":"c","method":"eth_sign","params":[]}');
    expect(other.status).toBe(403);
  });

  it('promote of an MCP tool writes a rule for that tool only', async () => {
    const mcpEntry = entries().find((e) => e.operation?.kind === 'mcp' && e.operation.tool === 'send_mail')!;
    const result = await presets.promote(mcpEntry.id, { name: 'mail-tool', dryRun: true });
    expect(result.yaml).toContain('tool: send_mail');
    expect(result.yaml).toContain('protocol: mcp');
    expect(result.yaml).toContain('path: /mcp');
  });
});
