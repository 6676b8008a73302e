// Gateway mode over real sockets: the embedded core served over openshell.v1, our gRPC client attached
// to it, a real agent (curl) through the core's proxy. Decisions, promote (a local NemoClaw preset plus
// a structural merge of the live policy), and a server killed and restarted mid-stream.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { startStandalone, type Standalone } from '../../src/gateway/embedded/standalone.js';
import type { GatewayEvent, InboxRequest } from '../../src/gateway/gateway.js';
import { GrpcGateway } from '../../src/gateway/grpc/grpc-gateway.js';
import { connectionOf, OpenShellRpc } from '../../src/gateway/grpc/openshell-client.js';
import { resolveConnection } from '../../src/gateway/grpc/connection-target.js';
import { PresetStore } from '../../src/core/presets/preset-store.js';
import { freePort } from '../helpers/tmux.js';
import { startUpstream } from '../helpers/upstream.js';
import { curlVia } from '../helpers/curl.js';

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let coreDir: string;
let grpcPort: number;
let proxyPort: number;
let core: Standalone | undefined;
let gateway: GrpcGateway;
let events: GatewayEvent[] = [];
/** The inbox as a console would hold it: a snapshot replaces it, request events upsert into it. */
let inbox = new Map<string, InboxRequest>();

const hosts = ['pypi.test', 'tracker.test', 'docs.test', 'later.test'];

async function startCore(): Promise<Standalone> {
  return startStandalone({
    stateDir: coreDir,
    proxyListen: `127.0.0.1:${proxyPort}`,
    grpcListen: `127.0.0.1:${grpcPort}`,
    resolve: hosts.map((h) => `${h}:127.0.0.1`),
    allowLoopback: true,
    holdTimeoutSeconds: 10,
    identify: async () => ({ binary: '/usr/bin/curl' }),
  });
}

const curl = (host: string, path = '/') => curlVia(`http://127.0.0.1:${proxyPort}`, `http://${host}:${upstream.port}${path}`);

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const entry = (host: string) => [...inbox.values()].find((r) => r.host === host);
const connection = () =>
  [...events].reverse().find((e) => e.type === 'connection') as Extract<GatewayEvent, { type: 'connection' }> | undefined;

beforeAll(async () => {
  upstream = await startUpstream('hello over the gateway');
  coreDir = mkdtempSync(join(tmpdir(), 'ost-grpc-core-'));
  [grpcPort, proxyPort] = [await freePort(), await freePort()];
  core = await startCore();
  const consoleDir = mkdtempSync(join(tmpdir(), 'ost-grpc-console-'));
  const rpc = new OpenShellRpc(connectionOf(resolveConnection({ endpoint: `http://127.0.0.1:${grpcPort}` }, {})));
  gateway = new GrpcGateway({ rpc, presets: await PresetStore.open(consoleDir), pollMs: 500 });
  gateway.subscribe((e) => {
    events.push(e);
    if (e.type === 'snapshot') inbox = new Map(e.requests.map((r) => [r.id, r]));
    if (e.type === 'request') inbox.set(e.request.id, e.request);
  });
  await gateway.start();
  await until('connected', () => connection()?.state.status === 'connected');
});

afterAll(async () => {
  await gateway?.stop();
  await core?.stop();
  await upstream?.close();
});

afterEach(() => {
  events = events.slice(-50);
});

describe('gRPC client against the served core', () => {
  it('shows a held request as a pending chunk with its binary and L7 sample; approve lets it through', async () => {
    const pending = curl('pypi.test', '/simple/requests/');
    const r = await until('the pending chunk', () => entry('pypi.test'));
    expect(r).toMatchObject({ sandbox: 'local', port: upstream.port, binary: '/usr/bin/curl', status: 'pending', hits: 1 });
    expect(r.id).toMatch(/^local\//);
    await until('the L7 sample', () => entry('pypi.test')?.samples.some((s) => s.method === 'GET' && s.path === '/simple/requests/'));
    expect(r.proposal?.rule.endpoints[0]).toMatchObject({ host: 'pypi.test', port: upstream.port });
    await gateway.approve(r.id, 'session');
    expect(await pending).toEqual({ status: 200, body: 'hello over the gateway' });
    await until('approved status', () => entry('pypi.test')?.status === 'approved');
    expect((await curl('pypi.test', '/other')).status).toBe(200);
  });

  it('reject with a reason: the agent gets a 403, the chunk carries the reason', async () => {
    const pending = curl('tracker.test', '/collect');
    const r = await until('the tracker chunk', () => entry('tracker.test'));
    await gateway.reject(r.id, 'no telemetry');
    const answer = await pending;
    expect(answer.status).toBe(403);
    await until(
      'rejected with reason',
      () => entry('tracker.test')?.status === 'rejected' && entry('tracker.test')?.decisionNote === 'no telemetry',
    );
  });

  it('a stale review token is refused; the client refetches and the next approval works', async () => {
    const rpc = new OpenShellRpc(connectionOf(resolveConnection({ endpoint: `http://127.0.0.1:${grpcPort}` }, {})));
    const pending = curl('docs.test', '/guide');
    const r = await until('the docs chunk', () => entry('docs.test'));
    const chunkId = r.id.split('/')[1];
    const stale = rpc.call('ApproveDraftChunk', { name: 'local', chunk_id: chunkId, review_token: 'not-the-token' });
    await expect(stale).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: expect.stringContaining('refetch') });
    await gateway.undo(`local/${entry('pypi.test')!.id.split('/')[1]}`); // the policy changes: every token moves
    await until('pypi back to pending', () => entry('pypi.test')?.status === 'pending');
    await gateway.approve(r.id, 'session');
    expect((await pending).status).toBe(200);
    rpc.close();
  });

  it('GetSandboxLogs filters by level and source as upstream does', async () => {
    const rpc = new OpenShellRpc(connectionOf(resolveConnection({ endpoint: `http://127.0.0.1:${grpcPort}` }, {})));
    core!.core.log('warn', 'test', 'a warning for the filter');
    const id = (await rpc.call('ListSandboxes', {})).sandboxes[0].metadata.id;
    const all = (await rpc.call('GetSandboxLogs', { sandbox_id: id })).logs;
    const warn = (await rpc.call('GetSandboxLogs', { sandbox_id: id, min_level: 'WARN' })).logs;
    const gatewayOnly = (await rpc.call('GetSandboxLogs', { sandbox_id: id, sources: ['gateway'] })).logs;
    expect(all.some((l: { level: string }) => l.level === 'INFO')).toBe(true);
    expect(warn.length).toBeGreaterThan(0);
    expect(warn.every((l: { level: string }) => l.level === 'WARN' || l.level === 'ERROR')).toBe(true);
    expect(warn.map((l: { message: string }) => l.message)).toContain('a warning for the filter');
    expect(gatewayOnly).toEqual([]); // the core's lines are the sandbox's
    rpc.close();
  });

  it('promote writes a NemoClaw preset locally and merges it into the live policy without dropping other rules', async () => {
    const before = await gateway.policy();
    const pending = curl('later.test', '/api/v1/items');
    const r = await until('the later chunk', () => entry('later.test'));
    const { name, file } = await gateway.promote(r.id, { name: 'later-test', access: 'read-only', anyBinary: false });
    expect(name).toBe('later-test');
    expect(existsSync(file)).toBe(true);
    expect((await pending).status).toBe(200);
    const after = await gateway.policy();
    expect(after.revision.number).toBeGreaterThan(before.revision.number);
    expect(after.yaml).toContain('later.test');
    // Everything that was there before is still there (a merge, not a replace).
    for (const key of Object.keys((await import('yaml')).parse(before.yaml).network_policies ?? {})) expect(after.yaml).toContain(key);
    expect((await gateway.presets()).find((p) => p.name === 'later-test')).toMatchObject({ applied: true, source: 'custom' });
    const revisions = await gateway.revisions();
    expect(revisions.at(-1)?.number).toBe(after.revision.number);
    // The merged rule persists in the core's state dir: it is there after a restart.
    expect(existsSync(join(coreDir, 'merged-rules.yaml'))).toBe(true);
  });

  it('survives the server being killed and restarted mid-stream: no lost, no duplicated entries', async () => {
    const seenBefore = inbox.size;
    await core!.stop();
    core = undefined;
    await until('disconnected', () => connection()?.state.status === 'disconnected');
    expect(connection()!.state).toMatchObject({ status: 'disconnected', retryAt: expect.any(Number) });
    core = await startCore();
    await until('reconnected', () => connection()?.state.status === 'connected', 15_000);
    // The restarted core forgot its session inbox; the console shows exactly what the server has.
    expect(inbox.size).toBeLessThanOrEqual(seenBefore);
    const pending = curl('pypi.test', '/after-restart');
    const r = await until('a new pending chunk after the restart', () =>
      [...inbox.values()].find((q) => q.host === 'pypi.test' && q.status === 'pending'),
    );
    expect([...inbox.values()].filter((q) => q.host === 'pypi.test')).toHaveLength(1);
    await gateway.approve(r.id, 'session');
    expect((await pending).status).toBe(200);
    // The promoted rule came back with the core: later.test passes without asking.
    expect((await curl('later.test', '/api/v1/items')).status).toBe(200);
  }, 30_000);
});
