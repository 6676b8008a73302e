// What 0.1.x gives, used for real: the connection between our client and a served core runs through a
// TCP relay the test can cut. A watch resumed by cursor after the cut delivers every log line written
// meanwhile exactly once; a decision whose answer is lost is retried with the same request_id and
// applied once; a denial on the stream becomes an inbox entry at once and is upgraded in place by its
// chunk; workspaces, page tokens and request_id reuse behave as upstream documents.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { MergeManager } from '../../src/core/merges/merge-manager.js';
import { MergedRules } from '../../src/core/merges/merged-rules.js';
import { PresetStore } from '../../src/core/presets/preset-store.js';
import type { GatewayEvent, InboxRequest } from '../../src/gateway/gateway.js';
import { resolveConnection } from '../../src/gateway/grpc/connection-target.js';
import { GrpcGateway } from '../../src/gateway/grpc/grpc-gateway.js';
import { connectionOf, OpenShellRpc } from '../../src/gateway/grpc/openshell-client.js';
import { OpenShellServer } from '../../src/gateway/grpc/openshell-server.js';
import { startTcpRelay, type TcpRelay } from './helpers/tcp-relay.js';

const TOKEN = 'resume-test-token';
let core: EnforcementCore;
let server: OpenShellServer;
let relay: TcpRelay;
let gateway: GrpcGateway;
const events: GatewayEvent[] = [];
let inbox = new Map<string, InboxRequest>();
let approvals = 0;

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const status = () =>
  ([...events].reverse().find((e) => e.type === 'connection') as Extract<GatewayEvent, { type: 'connection' }> | undefined)?.state.status;
const logMessages = () => events.flatMap((e) => (e.type === 'log' ? [e.line.message] : []));
const direct = () => {
  const rpc = new OpenShellRpc(connectionOf(resolveConnection({ endpoint: `http://127.0.0.1:${serverPort}` }, { OPENSHELL_TOKEN: TOKEN })));
  return rpc;
};
let serverPort: number;

beforeAll(async () => {
  const state = mkdtempSync(join(tmpdir(), 'ost-resume-'));
  const merged = await MergedRules.open(state);
  core = new EnforcementCore({ baseline: { version: 1, network_policies: {} }, presetLayers: () => [merged.layer()], holdTimeoutMs: 0 });
  core.on('request.decided', (r) => r.status === 'approved' && approvals++);
  const sandbox = { id: 'sb-1', name: 'box', createdAt: Date.now(), core, merges: new MergeManager(merged, core) };
  server = new OpenShellServer({ sandboxes: [sandbox], version: '0.1.9', token: TOKEN });
  serverPort = (await server.listen('127.0.0.1', 0)).port;
  relay = await startTcpRelay(serverPort);
  const rpc = new OpenShellRpc(connectionOf(resolveConnection({ endpoint: `http://127.0.0.1:${relay.port}` }, { OPENSHELL_TOKEN: TOKEN })));
  gateway = new GrpcGateway({
    rpc,
    presets: await PresetStore.open(mkdtempSync(join(tmpdir(), 'ost-resume-console-'))),
    pollMs: 3_600_000,
  });
  gateway.subscribe((e) => {
    events.push(e);
    if (e.type === 'snapshot') inbox = new Map(e.requests.map((r) => [r.id, r]));
    if (e.type === 'request') inbox.set(e.request.id, e.request);
    if (e.type === 'removed') for (const id of e.ids) inbox.delete(id);
  });
  await gateway.start();
  await until('connected', () => status() === 'connected');
});

afterAll(async () => {
  await gateway?.stop();
  await relay?.close();
  await server?.close();
  core?.shutdown();
});

describe('resume by cursor (0.1.x)', () => {
  it('lines written while the connection was down arrive once each after it comes back, none twice', async () => {
    for (let i = 0; i < 5; i++) core.log('info', 'test', `before ${i}`);
    await until('the lines before the cut', () => logMessages().includes('before 4'));
    relay.cut();
    // More than the tail a fresh watch replays (200): only a resume from the cursor brings them all.
    for (let i = 0; i < 250; i++) core.log('info', 'test', `during ${i}`);
    await until('every line written during the outage', () => logMessages().includes('during 249'), 20_000);
    core.log('info', 'test', 'after');
    await until('the line after', () => logMessages().includes('after'));
    const messages = logMessages();
    for (const m of ['before 0', 'before 4', 'during 0', 'during 49', 'during 249', 'after'])
      expect(
        messages.filter((x) => x === m),
        m,
      ).toHaveLength(1);
    expect(messages.filter((m) => m.startsWith('during '))).toHaveLength(250);
    // No gap was reported: the gateway still had our position.
    expect(messages.some((m) => /no longer has this stream's position/.test(m))).toBe(false);
  }, 30_000);

  it('a cursor the server never issued, or from another lifetime, is refused as upstream says', async () => {
    const rpc = direct();
    const watch = (cursor: string) =>
      new Promise<number>((resolve) => {
        const stream = rpc.stream('WatchSandbox', {
          sandbox: 'box',
          workspace_scope: { workspace: 'default' },
          follow_logs: true,
          resume_after_cursor: cursor,
        });
        stream.on('data', () => undefined);
        stream.on('error', (e: grpc.ServiceError) => resolve(e.code));
      });
    expect(await watch('not-a-cursor')).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await watch(`${'0'.repeat(16)}.${'0'.repeat(12)}`)).toBe(grpc.status.OUT_OF_RANGE);
    rpc.close();
  });
});

describe('a decision retried after a dropped connection', () => {
  it('is applied exactly once: the retry carries the same request_id and gets the first result', async () => {
    await core.evaluate({ host: 'once.test', port: 443, binary: '/usr/bin/curl' });
    const r = await until('the chunk', () => [...inbox.values()].find((q) => q.host === 'once.test' && !q.awaitingProposal));
    const before = approvals;
    const revisionsBefore = core.revisions.list().length;
    await gateway.policy(); // whose policy is in force is known now: the approval is the next call out
    // The request reaches the core; its answer is lost on the way back; then the connection drops.
    relay.answering(false);
    const decided = gateway.approve(r.id, 'session');
    await until('the core applied it', () => approvals > before);
    relay.cut();
    relay.answering(true);
    await decided;
    expect(approvals - before).toBe(1);
    expect(core.revisions.list().length - revisionsBefore).toBe(1);
    expect(core.listRequests().find((q) => q.host === 'once.test')?.status).toBe('approved');
  }, 30_000);

  it('the same request_id with a different payload is refused, not applied', async () => {
    await core.evaluate({ host: 'twice.test', port: 443, binary: '/usr/bin/curl' });
    const rpc = direct();
    const scope = { sandbox: 'box', workspace_scope: { workspace: 'default' } };
    const id = '6f1c1a34-8f0e-4a8e-9d0b-2f7c8e1d2a10';
    const chunk = core.listRequests().find((q) => q.host === 'twice.test')!;
    await rpc.call('RejectDraftChunk', { ...scope, chunk_id: chunk.id, reason: 'first', request_id: id });
    await expect(rpc.call('RejectDraftChunk', { ...scope, chunk_id: chunk.id, reason: 'other', request_id: id })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    // Replayed with the same payload: the first result, and the chunk still says "first".
    await rpc.call('RejectDraftChunk', { ...scope, chunk_id: chunk.id, reason: 'first', request_id: id });
    expect(core.getRequest(chunk.id)?.decisionNote).toBe('first');
    await expect(
      rpc.call('RejectDraftChunk', { ...scope, chunk_id: chunk.id, reason: 'x', request_id: 'not-a-uuid' }),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    rpc.close();
  });
});

describe('denials before their chunk', () => {
  it('a denial on the stream is an inbox entry at once ("awaiting proposal"), upgraded in place when the chunk arrives', {
    timeout: 30_000,
  }, async () => {
    // An upstream sandbox's OCSF line for a denial the gateway has not drafted yet.
    core.log('info', 'ocsf', 'NET:OPEN [MED] DENIED wget(77) -> slow.test:443 [policy:- engine:opa] [reason:no matching policy]');
    const placeholder = await until('the awaiting entry', () => [...inbox.values()].find((q) => q.host === 'slow.test'));
    expect(placeholder).toMatchObject({ awaitingProposal: true, status: 'pending', binary: 'wget', port: 443 });
    // The operator may decide at once: the decision waits for the proposal, then applies to it.
    const approving = gateway.approve(placeholder.id, 'session');
    await new Promise((r) => setTimeout(r, 300));
    // The chunk arrives (here: the core records the request the denial was about).
    await core.evaluate({ host: 'slow.test', port: 443, binary: '/usr/bin/wget' });
    const upgraded = await until('the upgrade', () => (inbox.get(placeholder.id)?.proposal ? inbox.get(placeholder.id) : undefined));
    expect(upgraded).toMatchObject({ id: placeholder.id, binary: '/usr/bin/wget', status: 'pending' });
    expect(upgraded.awaitingProposal).toBeUndefined();
    expect([...inbox.values()].filter((q) => q.host === 'slow.test')).toHaveLength(1);
    await approving;
    await until('approved in place', () => inbox.get(placeholder.id)?.status === 'approved');
    // A denial whose proposal never comes is refused after a bounded wait, not left hanging.
    core.log('info', 'ocsf', 'NET:OPEN [MED] DENIED wget(78) -> never.test:443 [policy:- engine:opa] [reason:no matching policy]');
    const orphan = await until('the orphan', () => [...inbox.values()].find((q) => q.host === 'never.test'));
    await expect(gateway.reject(orphan.id)).rejects.toMatchObject({
      code: 'failed-precondition',
      message: expect.stringContaining('not proposed a rule'),
    });
  });

  it('denials that can never become a draft are surfaced with why, not silently dropped', async () => {
    const extras: Array<Extract<GatewayEvent, { type: 'undraftable' }>> = [];
    const off = gateway.subscribe((e) => e.type === 'undraftable' && extras.push(e));
    core.log('info', 'ocsf', 'NET:OPEN [MED] DENIED curl(9) -> 169.254.169.254:80 [policy:- engine:ssrf] [reason:internal address]');
    core.log('info', 'ocsf', 'NET:OPEN [MED] DENIED curl(9) -> db.corp.test:5432 [policy:- engine:ssrf] [reason:allowed_ips check failed]');
    await until('both', () => extras.length >= 2);
    off();
    expect(extras.map((e) => e.denial.kind)).toEqual(['destination-guard', 'allowed-ips-drift']);
    expect(extras[0].denial).toMatchObject({ sandbox: 'box', host: '169.254.169.254', port: 80, process: 'curl', count: 1 });
    expect(extras[0].denial.why).toMatch(/no policy can allow it/);
    expect([...inbox.values()].some((q) => q.host === '169.254.169.254' || q.host === 'db.corp.test')).toBe(false);
  });
});

describe('workspaces and page tokens', () => {
  it('0.1.x requires an explicit workspace; all workspaces lists; an unknown one is not found', async () => {
    const rpc = direct();
    await expect(rpc.call('ListSandboxes', { page_size: 10 })).rejects.toMatchObject({
      details: 'workspace_scope must select a workspace',
    });
    const all = (await rpc.call('ListSandboxes', { workspace_scope: { all_workspaces: {} } })) as { sandboxes: unknown[] };
    expect(all.sandboxes).toHaveLength(1);
    await expect(rpc.call('GetSandbox', { name: 'box', workspace_scope: { all_workspaces: {} } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
    expect(await gateway.workspaces()).toEqual([{ name: 'default', phase: 'active' }]);
    await gateway.selectWorkspace('*');
    await until('connected to all workspaces', () => status() === 'connected' && gateway.workspace === '*');
    await until('the inbox keyed by workspace', () => [...inbox.values()].every((q) => q.sandbox === 'default:box') && inbox.size > 0);
    await gateway.selectWorkspace('nope');
    await until('the error', () =>
      events.some((e) => e.type === 'connection' && e.state.status === 'disconnected' && /workspace 'nope' not found/.test(e.state.error)),
    );
    await gateway.selectWorkspace('default');
    await until('back', () => status() === 'connected');
    rpc.close();
  }, 30_000);

  it('revisions page with opaque tokens that only their own request may present', async () => {
    for (let i = 0; i < 4; i++) await core.evaluate({ host: `page${i}.test`, port: 443, binary: '/usr/bin/curl' });
    for (const q of core.listRequests().filter((x) => x.status === 'pending' && x.host.startsWith('page'))) core.approve(q.id);
    const rpc = direct();
    const scope = { sandbox: 'box', workspace_scope: { workspace: 'default' } };
    const seen: number[] = [];
    let token = '';
    do {
      const page = (await rpc.call('ListSandboxPolicies', { ...scope, page_size: 2, page_token: token })) as {
        revisions: Array<{ version: number }>;
        next_page_token: string;
      };
      expect(page.revisions.length).toBeLessThanOrEqual(2);
      seen.push(...page.revisions.map((r) => r.version));
      token = page.next_page_token;
      if (token)
        await expect(rpc.call('ListWorkspaces', { page_size: 2, page_token: token })).rejects.toMatchObject({
          code: grpc.status.INVALID_ARGUMENT,
        });
    } while (token);
    expect(seen).toEqual(
      core.revisions
        .list()
        .map((r) => r.number)
        .reverse(),
    );
    // The adapter walks every page by itself.
    expect((await gateway.revisions()).map((r) => r.number)).toEqual(core.revisions.list().map((r) => r.number));
    rpc.close();
  });
});
