// MCP end to end with the official TypeScript SDK: a real McpServer speaking Streamable HTTP (answers as
// SSE streams) on 127.0.0.1, the SDK's Client reaching it through the real core's proxy (undici's
// ProxyAgent, absolute-form as a proxied HTTP client sends it). tools/list is allowed; a tools/call of a
// tool in deny_rules is refused with a JSON-RPC error the client surfaces (the server never runs the
// tool); an unknown tool waits in the inbox under its name, is approved through the core, and is then
// answered on the same call.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { fetch as undiciFetch, ProxyAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PendingRequest } from '../../src/core/inbox/pending-request.js';
import { startProxyHarness, type ProxyHarness } from './support/proxy-harness.js';

const HOST = 'mcp.local.test';
let harness: ProxyHarness;
let http: Server;
let port: number;
/** Tools the server actually ran, in order: what reached it, whatever the client was told. */
const ran: string[] = [];
const transports = new Map<string, StreamableHTTPServerTransport>();
let sawProgress!: () => void;
const progressSeen = new Promise<void>((resolve) => {
  sawProgress = resolve;
});

function mcpServer(): McpServer {
  const server = new McpServer({ name: 'test-server', version: '1.0.0' });
  for (const name of ['read_status', 'delete_repo', 'write_file']) {
    server.registerTool(name, { description: `the ${name} tool` }, async () => {
      ran.push(name);
      return { content: [{ type: 'text', text: `${name} done` }] };
    });
  }
  // Sends a progress notification on the call's SSE stream, then answers only once the test has seen it:
  // if anything on the way held the stream back until it ended, the call would never finish.
  server.registerTool('read_slowly', { description: 'progress first, result later' }, async (extra) => {
    const token = extra._meta?.progressToken;
    if (token !== undefined)
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 1 } });
    await progressSeen;
    return { content: [{ type: 'text', text: 'read_slowly done' }] };
  });
  return server;
}

/** Streamable HTTP, stateful (a session per initialize), answering every POST as an SSE stream. */
async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const session = req.headers['mcp-session-id'];
  let transport = typeof session === 'string' ? transports.get(session) : undefined;
  if (!transport) {
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void transports.set(id, transport!),
    });
    await mcpServer().connect(transport);
  }
  await transport.handleRequest(req, res);
}

beforeAll(async () => {
  http = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  port = (http.address() as AddressInfo).port;
  harness = await startProxyHarness({
    policy: {
      version: 1,
      network_policies: {
        tools: {
          name: 'tools',
          endpoints: [
            {
              host: HOST,
              port,
              path: '/mcp',
              protocol: 'mcp',
              enforcement: 'enforce',
              mcp: { versions: ['2025-03-26', '2025-06-18', '2025-11-25'] },
              rules: [
                { allow: { method: 'initialize' } },
                { allow: { method: 'notifications/initialized' } },
                { allow: { method: 'tools/list' } },
                { allow: { method: 'tools/call', tool: 'read_*' } },
              ],
              deny_rules: [{ method: 'tools/call', tool: 'delete_repo' }],
            },
          ],
          binaries: [{ path: '/usr/bin/agent' }],
        },
      },
    },
    resolve: [`${HOST}:127.0.0.1`],
    identify: async () => ({ binary: '/usr/bin/agent' }),
    holdTimeoutMs: 20_000,
  });
});

afterAll(async () => {
  for (const t of transports.values()) await t.close().catch(() => {});
  await harness?.close();
  http?.closeAllConnections();
  await new Promise((resolve) => http?.close(resolve));
});

async function connectClient(): Promise<Client> {
  const agent = new ProxyAgent({ uri: `http://127.0.0.1:${harness.port}`, proxyTunnel: false });
  const transport = new StreamableHTTPClientTransport(new URL(`http://${HOST}:${port}/mcp`), {
    fetch: ((url: string | URL, init?: RequestInit) =>
      undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agent })) as unknown as typeof fetch,
  });
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

describe('MCP through the core with the official SDK', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectClient();
  });
  afterAll(async () => {
    await client?.close();
  });

  it('tools/list is allowed and answered (as an SSE stream, through the proxy)', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['delete_repo', 'read_slowly', 'read_status', 'write_file']);
  });

  it('an SSE answer streams through: a progress notification arrives before the result it precedes', async () => {
    const progress: number[] = [];
    const result = await client.callTool({ name: 'read_slowly', arguments: {} }, undefined, {
      onprogress: (p) => {
        progress.push(p.progress);
        sawProgress();
      },
    });
    expect(progress).toEqual([1]);
    expect(result.content).toEqual([{ type: 'text', text: 'read_slowly done' }]);
  });

  it('an allowed tool is called and answered', async () => {
    const result = await client.callTool({ name: 'read_status', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'read_status done' }]);
    expect(ran).toContain('read_status');
  });

  it('a tool in deny_rules is refused with a JSON-RPC error the client surfaces; the server never runs it', async () => {
    const error = await client.callTool({ name: 'delete_repo', arguments: {} }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error & { code?: number }).code).toBe(403); // the SDK's StreamableHTTPError carries the HTTP status
    expect(String(error?.message)).toContain('"code":-32001');
    expect(String(error?.message)).toContain("tool 'delete_repo' blocked by deny rule");
    expect(ran).not.toContain('delete_repo');
    expect(harness.core.listRequests().some((r) => r.operation?.kind === 'mcp' && r.operation.tool === 'delete_repo')).toBe(false);
  });

  it('an unknown tool waits in the inbox under its name; approved through the core, the same call is answered', async () => {
    const pending = new Promise<PendingRequest>((resolve) => {
      const seen = (r: PendingRequest) => {
        if (r.operation?.kind === 'mcp' && r.operation.tool === 'write_file' && r.held > 0) {
          harness.core.off('request.pending', seen);
          harness.core.off('request.updated', seen);
          resolve(r);
        }
      };
      harness.core.on('request.pending', seen);
      harness.core.on('request.updated', seen);
    });
    const call = client.callTool({ name: 'write_file', arguments: {} });
    const entry = await pending;
    expect(entry).toMatchObject({ host: HOST, port, binary: '/usr/bin/agent', status: 'pending' });
    expect(entry.samples[0].operation).toBe("MCP tools/call tool 'write_file'");
    expect(ran).not.toContain('write_file');
    harness.core.approve(entry.id);
    const result = await call;
    expect(result.content).toEqual([{ type: 'text', text: 'write_file done' }]);
    expect(ran.filter((t) => t === 'write_file')).toHaveLength(1);
    // The approval is that tool, not the host: delete_repo is still refused.
    await expect(client.callTool({ name: 'delete_repo', arguments: {} })).rejects.toThrow(/blocked by deny rule/);
  });
});
