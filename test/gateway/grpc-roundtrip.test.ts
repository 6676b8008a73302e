// Gateway mode over real sockets, in both protocol generations: the embedded core served over gRPC
// (0.1.x on --grpc-listen, 0.0.x on --grpc-legacy-listen), our gRPC client attached to it (it finds the
// generation itself), a real agent (curl) through the core's proxy. Decisions, promote (a local NemoClaw
// preset plus a structural merge of the live policy), and the server killed and restarted mid-stream.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStandalone, type Standalone } from '../../src/gateway/embedded/standalone.js';
import type { GatewayEvent, InboxRequest } from '../../src/gateway/gateway.js';
import { GrpcGateway } from '../../src/gateway/grpc/grpc-gateway.js';
import { connectionOf, OpenShellRpc } from '../../src/gateway/grpc/openshell-client.js';
import { resolveConnection } from '../../src/gateway/grpc/connection-target.js';
import { PresetStore } from '../../src/core/presets/preset-store.js';
import type { Wire } from '../../src/gateway/grpc/wire.js';
import { freePort } from '../helpers/tmux.js';
import { startUpstream } from '../helpers/upstream.js';
import { curlVia } from '../helpers/curl.js';

type Generation = 'current' | 'legacy';

describe.each(['current', 'legacy'] as Generation[])('gRPC client against the served core (%s generation)', (generation) => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let coreDir: string;
  let ports: { grpc: number; legacy: number; proxy: number };
  let core: Standalone | undefined;
  let gateway: GrpcGateway;
  let events: GatewayEvent[] = [];
  /** The inbox as a console would hold it: a snapshot replaces it, request events upsert into it. */
  let inbox = new Map<string, InboxRequest>();
  const hosts = ['pypi.test', 'tracker.test', 'docs.test', 'later.test'];

  const startCore = () =>
    startStandalone({
      stateDir: coreDir,
      proxyListen: `127.0.0.1:${ports.proxy}`,
      grpcListen: `127.0.0.1:${ports.grpc}`,
      grpcLegacyListen: `127.0.0.1:${ports.legacy}`,
      resolve: hosts.map((h) => `${h}:127.0.0.1`),
      allowLoopback: true,
      holdTimeoutSeconds: 10,
      identify: async () => ({ binary: '/usr/bin/curl' }),
    });
  const endpoint = () => `http://127.0.0.1:${generation === 'current' ? ports.grpc : ports.legacy}`;
  /**
   * A client as the CLI makes one against our own core: the token found through the core's state dir, so a
   * restarted core (a new token per lifetime) is reconnected to with its new token.
   */
  const newRpc = () => new OpenShellRpc(connectionOf(resolveConnection({ endpoint: endpoint() }, {}, { stateDir: coreDir })));
  const curl = (host: string, path = '/') => curlVia(`http://127.0.0.1:${ports.proxy}`, `http://${host}:${upstream.port}${path}`);

  async function until<T>(what: string, check: () => T | undefined, timeoutMs = 8000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  const entry = (host: string) => [...inbox.values()].find((r) => r.host === host && !r.awaitingProposal);
  const connection = () =>
    [...events].reverse().find((e) => e.type === 'connection') as Extract<GatewayEvent, { type: 'connection' }> | undefined;

  beforeAll(async () => {
    upstream = await startUpstream('hello over the gateway');
    coreDir = mkdtempSync(join(tmpdir(), 'ost-grpc-core-'));
    ports = { grpc: await freePort(), legacy: await freePort(), proxy: await freePort() };
    core = await startCore();
    const consoleDir = mkdtempSync(join(tmpdir(), 'ost-grpc-console-'));
    gateway = new GrpcGateway({ rpc: newRpc(), presets: await PresetStore.open(consoleDir), pollMs: 500 });
    gateway.subscribe((e) => {
      events.push(e);
      if (e.type === 'snapshot') inbox = new Map(e.requests.map((r) => [r.id, r]));
      if (e.type === 'request') inbox.set(e.request.id, e.request);
      if (e.type === 'removed') for (const id of e.ids) inbox.delete(id);
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
    events = events.slice(-500);
  });

  it('finds the generation by itself and says which', () => {
    expect(gateway.info.protocol).toBe(generation === 'current' ? 'ryno.v1' : 'openshell.v1 (0.0.x)');
    expect(gateway.info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('shows a held request as a pending chunk with its binary and L7 sample; approve lets it through', async () => {
    const pending = curl('pypi.test', '/simple/requests/');
    const r = await until('the pending chunk', () => entry('pypi.test'));
    expect(r).toMatchObject({ sandbox: 'local', port: upstream.port, binary: '/usr/bin/curl', status: 'pending', hits: 1 });
    await until('the L7 sample', () => entry('pypi.test')?.samples.some((s) => s.method === 'GET' && s.path === '/simple/requests/'));
    expect(r.proposal?.rule.endpoints[0]).toMatchObject({ host: 'pypi.test', port: upstream.port });
    await gateway.approve(r.id, 'session');
    expect(await pending).toEqual({ status: 200, body: 'hello over the gateway' });
    await until('approved status', () => entry('pypi.test')?.status === 'approved');
    expect((await curl('pypi.test', '/other')).status).toBe(200);
  });

  it('reject with a reason: the agent gets a 403, the chunk carries the reason as guidance', async () => {
    const pending = curl('tracker.test', '/collect');
    const r = await until('the tracker chunk', () => entry('tracker.test'));
    await gateway.reject(r.id, 'no telemetry');
    expect((await pending).status).toBe(403);
    const rejected = await until('rejected with reason', () =>
      entry('tracker.test')?.decisionNote === 'no telemetry' ? entry('tracker.test') : undefined,
    );
    expect(rejected).toMatchObject({ status: 'rejected', proposal: { guidance: 'no telemetry' } });
  });

  it('a stale review token is refused; the client refetches and the next approval works', async () => {
    const rpc = newRpc();
    const pending = curl('docs.test', '/guide');
    const r = await until('the docs chunk', () => entry('docs.test'));
    rpc.use(generation === 'current' ? 'v1' : 'v0');
    const scope: Wire = generation === 'current' ? { sandbox: 'local', workspace_scope: { workspace: 'default' } } : { name: 'local' };
    // The inbox id may be the denial's (upgraded in place); the chunk's own id is the gateway's.
    const drafts = (await rpc.call('GetDraftPolicy', scope)) as {
      chunks: Array<{ id: string; binary: string; proposed_rule: { endpoints: Array<{ host: string }> } }>;
    };
    const chunkId = drafts.chunks.find((c) => c.proposed_rule.endpoints[0]?.host === r.host)!.id;
    const request: Wire = { ...scope, chunk_id: chunkId, review_token: 'not-the-token' };
    await expect(rpc.call('ApproveDraftChunk', request)).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: expect.stringContaining('refetch'),
    });
    await gateway.undo(entry('pypi.test')!.id); // the policy changes: every token moves
    await until('pypi back to pending', () => entry('pypi.test')?.status === 'pending');
    await gateway.approve(r.id, 'session');
    expect((await pending).status).toBe(200);
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
    for (const key of Object.keys(parse(before.yaml).network_policies ?? {})) expect(after.yaml).toContain(key);
    expect((await gateway.presets()).find((p) => p.name === 'later-test')).toMatchObject({ applied: true, source: 'custom' });
    const revisions = await gateway.revisions();
    expect(revisions.at(-1)?.number).toBe(after.revision.number);
    expect(existsSync(join(coreDir, 'merged-rules.yaml'))).toBe(true);
  });

  it('sandbox metadata, settings (typed, with their source) and draft history', async () => {
    const meta = await gateway.sandboxMetadata();
    expect(meta).toMatchObject({
      name: 'local',
      workspace: 'default',
      phase: 'Ready',
      restartCount: 0,
      policyStatus: 'loaded',
      policySource: 'sandbox',
    });
    if (generation === 'current') expect(meta.admission.state).toBe('accepted');
    await expect(gateway.setSetting({}, 'ocsf_json_enabled', 'maybe')).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(gateway.setSetting({}, 'proposal_approval_mode', 'autom')).rejects.toThrow(/manual, auto/);
    await gateway.setSetting({}, 'ocsf_json_enabled', 'yes');
    expect((await gateway.settings({})).find((s) => s.key === 'ocsf_json_enabled')).toMatchObject({ value: 'true', source: 'sandbox' });
    await gateway.setSetting('global', 'ocsf_json_enabled', 'off');
    // A global value wins over the sandbox's own, and says so.
    expect((await gateway.settings({})).find((s) => s.key === 'ocsf_json_enabled')).toMatchObject({ value: 'false', source: 'global' });
    await gateway.setSetting('global', 'ocsf_json_enabled', null);
    expect((await gateway.settings('global')).find((s) => s.key === 'ocsf_json_enabled')).toMatchObject({ source: 'unset' });
    const history = await gateway.draftHistory();
    expect(history.map((h) => h.type)).toEqual(expect.arrayContaining(['proposed', 'approved', 'rejected']));
    expect(history.every((h) => h.time > 0)).toBe(true);
  });

  it('what the served core cannot do is said, not faked: clearing drafts and editing a chunk', async () => {
    await expect(gateway.clearDrafts()).rejects.toMatchObject({
      code: 'failed-precondition',
      message: expect.stringContaining('cannot be cleared'),
    });
    const pending = curl('docs.test', '/edit-me');
    const r = await until('a pending chunk', () => [...inbox.values()].find((q) => q.status === 'pending' && !q.awaitingProposal));
    await expect(gateway.editChunk(r.id, { binaries: ['/usr/bin/curl'] })).rejects.toMatchObject({ code: 'failed-precondition' });
    await gateway.reject(r.id);
    await pending;
  });

  it('survives the server being killed and restarted mid-stream: no lost, no duplicated entries', async () => {
    const seenBefore = inbox.size;
    const stoppedAt = events.length;
    await core!.stop();
    core = undefined;
    // Any disconnected state since the stop (on a loaded machine the client may already be retrying).
    const down = await until('disconnected', () =>
      events
        .slice(stoppedAt)
        .find((e): e is Extract<GatewayEvent, { type: 'connection' }> => e.type === 'connection' && e.state.status === 'disconnected'),
    );
    expect(down.state).toMatchObject({ status: 'disconnected', retryAt: expect.any(Number) });
    const logsBefore = events.filter((e) => e.type === 'log').length;
    core = await startCore();
    await until('reconnected', () => connection()?.state.status === 'connected', 15_000);
    // The restarted core forgot its session inbox; the console shows exactly what the server has.
    expect(inbox.size).toBeLessThanOrEqual(seenBefore);
    const pending = curl('pypi.test', '/after-restart');
    const r = await until('a new pending chunk after the restart', () =>
      [...inbox.values()].find((q) => q.host === 'pypi.test' && q.status === 'pending' && !q.awaitingProposal),
    );
    expect([...inbox.values()].filter((q) => q.host === 'pypi.test')).toHaveLength(1);
    await gateway.approve(r.id, 'session');
    expect((await pending).status).toBe(200);
    expect((await curl('later.test', '/api/v1/items')).status).toBe(200);
    if (generation === 'current') {
      // The cursor from before the restart belongs to the old core: restarted without it, and said so.
      await until('the gap notice', () =>
        events.slice(logsBefore).find((e) => e.type === 'log' && /no longer has this stream's position/.test(e.line.message)),
      );
    }
  }, 30_000);
});
