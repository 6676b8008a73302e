// The adapter side of what upstream's console does with a 0.1.x gateway, against a gateway that serves
// only ryno.v1.Ryno (helpers/gateway-double.ts: real sockets, real protobuf): the workspace named
// explicitly, sandbox metadata (COMPLETED phase, restarts, configuration admission and its error,
// policy load status), approvals refused while a gateway-global policy is in force, the approve-all
// preview and what the gateway then skips, re-approving a rejected chunk, prover annotations and
// rejection guidance on the requests themselves, clearing drafts, narrowing a chunk before approving
// it, and provider detail with credential names and expiry, never values.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PresetStore } from '../../src/core/presets/preset-store.js';
import type { GatewayEvent, InboxRequest } from '../../src/gateway/gateway.js';
import { resolveConnection } from '../../src/gateway/grpc/connection-target.js';
import { GrpcGateway } from '../../src/gateway/grpc/grpc-gateway.js';
import { connectionOf, OpenShellRpc } from '../../src/gateway/grpc/openshell-client.js';
import { type GatewayDouble, startGatewayDouble } from './helpers/gateway-double.js';

let double: GatewayDouble;
let gateway: GrpcGateway;
let inbox = new Map<string, InboxRequest>();
const events: GatewayEvent[] = [];

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const byHost = (host: string) => [...inbox.values()].find((r) => r.host === host)!;

beforeAll(async () => {
  double = await startGatewayDouble();
  const rpc = new OpenShellRpc(connectionOf(resolveConnection({ endpoint: `http://127.0.0.1:${double.port}` }, {})));
  gateway = new GrpcGateway({
    rpc,
    workspace: 'team',
    presets: await PresetStore.open(mkdtempSync(join(tmpdir(), 'ost-double-'))),
    pollMs: 3_600_000,
  });
  gateway.subscribe((e) => {
    events.push(e);
    if (e.type === 'snapshot') inbox = new Map(e.requests.map((r) => [r.id, r]));
    if (e.type === 'request') inbox.set(e.request.id, e.request);
    if (e.type === 'removed') for (const id of e.ids) inbox.delete(id);
  });
});

afterAll(async () => {
  await gateway?.stop();
  await double?.close();
});

beforeEach(async () => {
  double.policySource = 'POLICY_SOURCE_SANDBOX';
  double.received.length = 0;
  double.chunks = [
    {
      id: 'c-clean',
      status: 'pending',
      host: 'api.clean.test',
      port: 443,
      binary: '/usr/bin/curl',
      validation_result: 'prover: no new findings',
      review_token: 't1',
    },
    {
      id: 'c-flagged',
      status: 'pending',
      host: '10.0.0.5',
      port: 5432,
      binary: '/usr/bin/psql',
      security_notes: 'private address; database port',
      validation_result: 'prover: 2 findings\n  data_exfiltration: writes to a new host\n  credential_reach: token in scope',
      review_token: 't2',
    },
    {
      id: 'c-stale',
      status: 'pending',
      host: 'stale.test',
      port: 443,
      binary: '/usr/bin/curl',
      application_error: 'rule conflicts with policy v5',
      review_token: 't3',
    },
    {
      id: 'c-rejected',
      status: 'rejected',
      host: 'again.test',
      port: 443,
      binary: '/usr/bin/curl',
      rejection_reason: 'scope to docs/ paths only',
      review_token: 't4',
    },
  ];
  if (!gateway.info.protocol) {
    await gateway.start();
    await until('connected', () => events.some((e) => e.type === 'connection' && e.state.status === 'connected'));
  } else {
    await gateway.selectWorkspace('default');
    await gateway.selectWorkspace('team');
  }
  await until('the inbox', () => inbox.size === 4);
});

describe('a gateway that only speaks ryno.v1.Ryno', () => {
  it('is found by the probe and named on the dashboard; its workspaces are listed', async () => {
    expect(gateway.info).toMatchObject({ version: '0.1.11', protocol: 'ryno.v1' });
    expect((await gateway.workspaces()).map((w) => w.name)).toEqual(['default', 'team']);
  });

  it('sandbox metadata: phase, image, providers, conditions, admission with its error, restarts, policy load status', async () => {
    expect(await gateway.sandboxMetadata('agent')).toMatchObject({
      name: 'agent',
      workspace: 'team',
      phase: 'Completed',
      image: 'registry.example/agent:0.1.0',
      providers: ['github', 'claude-code'],
      conditions: [{ type: 'Ready', status: 'False', reason: 'ConfigurationRejected' }],
      admission: { state: 'rejected', error: 'Invalid config: unknown middleware "content-guard"' },
      restartCount: 3,
      policyVersion: 4,
      policyStatus: 'failed',
      policyLoadError: 'middleware not registered',
    });
  });

  it('prover verdicts and rejection guidance are on the requests themselves', () => {
    expect(byHost('api.clean.test').proposal?.annotation).toMatchObject({
      kind: 'review-required',
      detail: expect.stringContaining('no additional risk'),
    });
    expect(byHost('10.0.0.5').proposal?.annotation?.detail).toMatch(/possible issues: data exfiltration, credential reach/);
    expect(byHost('stale.test').proposal?.annotation).toMatchObject({
      kind: 'application-blocked',
      detail: expect.stringContaining('conflicts with policy v5'),
    });
    expect(byHost('again.test')).toMatchObject({
      status: 'rejected',
      decisionNote: 'scope to docs/ paths only',
      proposal: { guidance: 'scope to docs/ paths only' },
    });
  });

  it('while a gateway-global policy is in force, approvals and rejections are refused, as upstream', async () => {
    double.policySource = 'POLICY_SOURCE_GLOBAL';
    await gateway.policy(undefined, 'agent'); // read whose policy is in force now
    await expect(gateway.approve(byHost('api.clean.test').id, 'session')).rejects.toMatchObject({
      code: 'failed-precondition',
      message: expect.stringMatching(/Cannot approve rules while a global policy is active \(global policy v9/),
    });
    await expect(gateway.reject(byHost('api.clean.test').id)).rejects.toThrow(/Cannot modify rules/);
    await expect(gateway.approveAll([byHost('api.clean.test').id], 'session')).rejects.toThrow(/global policy/);
    expect(double.received).toEqual([]);
  });

  it('approve-all previews what it approves and what it skips (security-flagged, stale), then does just that', async () => {
    const ids = [...inbox.values()].map((r) => r.id);
    const preview = await gateway.approveAllPreview(ids);
    expect(preview.approve.map((r) => r.host)).toEqual(['api.clean.test']);
    expect(Object.fromEntries(preview.skip.map((k) => [k.request.host, k.why]))).toEqual({
      '10.0.0.5': 'security-flagged',
      'stale.test': 'stale',
      'again.test': 'not-pending',
    });
    await expect(gateway.approveAll(ids, 'session')).rejects.toThrow(/10\.0\.0\.5|c-flagged/);
    const sent = double.received.find((r) => r.method === 'ApproveAllDraftChunks')!.request;
    expect(sent).toMatchObject({
      include_security_flagged: false,
      approvals: [{ chunk_id: 'c-clean', review_token: 't1' }],
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    await until('approved', () => byHost('api.clean.test').status === 'approved');
  });

  it('a rejected chunk can be approved again', async () => {
    await gateway.reapprove(byHost('again.test').id);
    expect(double.received.at(-1)).toMatchObject({ method: 'ApproveDraftChunk', request: { chunk_id: 'c-rejected', review_token: 't4' } });
    await until('approved', () => byHost('again.test').status === 'approved');
    await expect(gateway.reapprove(byHost('api.clean.test').id)).rejects.toThrow(/not rejected/);
  });

  it('clearing pending drafts sends ClearDraftChunks and the inbox follows', async () => {
    expect(await gateway.clearDrafts('agent')).toBe(3);
    await until('cleared', () => inbox.size === 1);
    expect(double.received.at(-1)).toMatchObject({
      method: 'ClearDraftChunks',
      request: { sandbox: 'agent', workspace_scope: { workspace: 'team' } },
    });
  });

  it('editing a chunk narrows it (ports, binaries, paths, allowed_ips) and never widens it', async () => {
    const id = byHost('api.clean.test').id;
    await gateway.editChunk(id, { paths: ['/v1/models'], allowedIps: ['203.0.113.0/24'] });
    const sent = double.received.find((r) => r.method === 'EditDraftChunk')!.request as {
      proposed_rule: { endpoints: Array<Record<string, unknown>> };
    };
    expect(sent.proposed_rule.endpoints[0]).toMatchObject({
      host: 'api.clean.test',
      allowed_ips: ['203.0.113.0/24'],
      rules: [{ allow: { method: 'GET', path: '/v1/models' } }],
      enforcement: 'NETWORK_ENFORCEMENT_MODE_ENFORCE',
    });
    await expect(gateway.editChunk(id, { ports: [8443] })).rejects.toThrow(/not in the proposal/);
    await expect(gateway.editChunk(id, { binaries: ['/bin/sh'] })).rejects.toThrow(/not a narrowing/);
    await expect(gateway.editChunk(id, { paths: ['/admin'] })).rejects.toThrow(/outside the proposed paths/);
    await expect(gateway.editChunk(id, { allowedIps: ['127.0.0.1'] })).rejects.toThrow(/always-blocked/);
    await expect(gateway.editChunk(byHost('again.test').id, { ports: [443] })).rejects.toThrow(/only pending chunks/);
  });

  it('provider detail: type, credential names and expiry; the values never leave the adapter', async () => {
    const detail = await gateway.providerDetail('github');
    expect(detail).toEqual({
      name: 'github',
      workspace: 'team',
      type: 'github',
      credentialNames: ['GH_ENTERPRISE_TOKEN', 'GITHUB_TOKEN'],
      credentialExpiry: { GITHUB_TOKEN: Date.UTC(2027, 0, 1) },
      configKeys: ['GITHUB_API_URL'],
    });
    expect(JSON.stringify(detail)).not.toMatch(/ghp_|ghe_/);
    await expect(gateway.providerDetail('nope')).rejects.toMatchObject({ code: 'not-found' });
  });
});
