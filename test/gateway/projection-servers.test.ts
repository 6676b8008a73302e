// One projection of core events for every server: the feed server and the served OpenShell gRPC API
// subscribe through core-projection.ts, deliver what the core does to real clients (a WebSocket, a gRPC
// watch stream), and leave no listener on the core once stopped — even with a client still attached.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { MergeManager } from '../../src/core/merges/merge-manager.js';
import { MergedRules } from '../../src/core/merges/merged-rules.js';
import { PresetStore } from '../../src/core/presets/preset-store.js';
import { FeedServer } from '../../src/gateway/feed/feed-server.js';
import type { GatewayEvent } from '../../src/gateway/gateway.js';
import { resolveConnection } from '../../src/gateway/grpc/connection-target.js';
import { GrpcGateway } from '../../src/gateway/grpc/grpc-gateway.js';
import { connectionOf, OpenShellRpc } from '../../src/gateway/grpc/openshell-client.js';
import { OpenShellServer } from '../../src/gateway/grpc/openshell-server.js';

const TOKEN = 'projection-test-token';
const listeners = (c: EnforcementCore) => c.eventNames().reduce((n, e) => n + c.listenerCount(e), 0);

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function servedCore() {
  const merged = await MergedRules.open(mkdtempSync(join(tmpdir(), 'ost-projection-')));
  const core = new EnforcementCore({
    baseline: { version: 1, network_policies: {} },
    presetLayers: () => [merged.layer()],
    holdTimeoutMs: 0,
  });
  return { core, sandbox: { id: 'sb-1', name: 'box', createdAt: Date.now(), core, merges: new MergeManager(merged, core) } };
}

describe('servers share the one core projection and unsubscribe on stop', () => {
  it('the feed server: a real WebSocket client sees the request; after close the core has no listener from it', async () => {
    const { core } = await servedCore();
    const before = listeners(core);
    const feed = new FeedServer({ core, token: TOKEN, proxyAddress: '127.0.0.1:1' });
    const { port } = await feed.listen('127.0.0.1', 0);
    expect(listeners(core)).toBeGreaterThan(before);
    const frames: Array<{ type: string; request?: { host: string; status: string } }> = [];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { authorization: `Bearer ${TOKEN}` } });
    ws.on('message', (data) => frames.push(JSON.parse(String(data))));
    await until('the hello', () => frames.some((f) => f.type === 'hello'));
    await core.evaluate({ host: 'feed.example', port: 443, binary: '/usr/bin/curl' });
    core.approve('r1', { kind: 'session' }, 'test');
    await until('pending then decided', () => frames.some((f) => f.type === 'request.decided' && f.request?.status === 'approved'));
    expect(frames.find((f) => f.type === 'request.pending')?.request?.host).toBe('feed.example');
    expect(frames.some((f) => f.type === 'policy.revision')).toBe(true);
    expect(frames.some((f) => f.type === 'log')).toBe(true);
    await feed.close(); // the client is still connected when the server stops
    expect(listeners(core)).toBe(before);
  });

  it('the served gRPC API: a watching client sees the request; after close (stream still open) no listener is left', async () => {
    const { core, sandbox } = await servedCore();
    const before = listeners(core);
    const server = new OpenShellServer({ sandboxes: [sandbox], version: '0.1.9', token: TOKEN });
    const { port } = await server.listen('127.0.0.1', 0);
    const rpc = new OpenShellRpc(connectionOf(resolveConnection({ endpoint: `http://127.0.0.1:${port}` }, { OPENSHELL_TOKEN: TOKEN })));
    const gateway = new GrpcGateway({
      rpc,
      presets: await PresetStore.open(mkdtempSync(join(tmpdir(), 'ost-projection-p-'))),
      pollMs: 3_600_000,
    });
    const events: GatewayEvent[] = [];
    gateway.subscribe((e) => events.push(e));
    await gateway.start();
    await until('the snapshot', () => events.some((e) => e.type === 'snapshot'));
    await core.evaluate({ host: 'grpc.example', port: 443, binary: '/usr/bin/curl' });
    await until('the request over gRPC', () => events.some((e) => e.type === 'request' && e.request.host === 'grpc.example'));
    expect(listeners(core)).toBeGreaterThan(before);
    await server.close(); // the console's watch stream is still open
    expect(listeners(core)).toBe(before);
    await gateway.stop();
    expect(listeners(core)).toBe(before);
  });

  it('a watch stream that ends takes its subscription with it (the server keeps only its own)', async () => {
    const { core, sandbox } = await servedCore();
    const before = listeners(core);
    const server = new OpenShellServer({ sandboxes: [sandbox], version: '0.1.9', token: TOKEN });
    const { port } = await server.listen('127.0.0.1', 0);
    const serverOnly = listeners(core);
    const rpc = new OpenShellRpc(connectionOf(resolveConnection({ endpoint: `http://127.0.0.1:${port}` }, { OPENSHELL_TOKEN: TOKEN })));
    const gateway = new GrpcGateway({
      rpc,
      presets: await PresetStore.open(mkdtempSync(join(tmpdir(), 'ost-projection-q-'))),
      pollMs: 3_600_000,
    });
    const events: GatewayEvent[] = [];
    gateway.subscribe((e) => events.push(e));
    await gateway.start();
    await until('a watch stream subscribed', () => listeners(core) > serverOnly);
    await gateway.stop();
    await until('the stream unsubscribed', () => listeners(core) === serverOnly);
    await server.close();
    expect(listeners(core)).toBe(before);
  });
});
