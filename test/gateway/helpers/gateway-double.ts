// A stand-in for an upstream 0.1.x gateway, for what our served core does not do (a gateway-global
// policy, clearing and editing drafts, providers with credentials, prover verdicts, configuration
// admission, restarts): a real gRPC server on loopback serving ryno.v1.Ryno — only that service name,
// as the newest upstream tree does — with our proto subset, so every message crosses real sockets as
// real protobuf. Its behaviour follows upstream's gateway where these tests look (status transitions,
// review tokens, include_security_flagged, policy_source, DeletionOutcome-free deletes).
import * as grpc from '@grpc/grpc-js';
import { loadApi } from '../../../src/gateway/grpc/proto.js';
import type { Wire } from '../../../src/gateway/grpc/wire.js';

export interface DoubleChunk {
  id: string;
  status: 'pending' | 'approved' | 'rejected';
  host: string;
  port: number;
  binary: string;
  security_notes?: string;
  validation_result?: string;
  application_error?: string;
  rejection_reason?: string;
  review_token: string;
}

export interface GatewayDouble {
  port: number;
  chunks: DoubleChunk[];
  policySource: 'POLICY_SOURCE_SANDBOX' | 'POLICY_SOURCE_GLOBAL';
  /** Every mutating request received, in order (what the client actually sent). */
  received: Array<{ method: string; request: Wire }>;
  close(): Promise<void>;
}

const ts = (ms: number) => ({ seconds: String(Math.floor(ms / 1000)), nanos: 0 });

export async function startGatewayDouble(): Promise<GatewayDouble> {
  const state: GatewayDouble = {
    port: 0,
    chunks: [],
    policySource: 'POLICY_SOURCE_SANDBOX',
    received: [],
    close: async () => undefined,
  };
  let version = 4;
  const rule = (c: DoubleChunk) => ({
    name: `allow_${c.host.replace(/\W/g, '_')}_${c.port}`,
    endpoints: [
      {
        host: c.host,
        port: c.port,
        ports: [c.port],
        protocol: 'rest',
        enforcement: 'NETWORK_ENFORCEMENT_MODE_ENFORCE',
        rules: [{ allow: { method: 'GET', path: '/v1/**' } }],
      },
    ],
    binaries: [{ path: c.binary }],
  });
  const chunkMessage = (c: DoubleChunk) => ({
    id: c.id,
    status: c.status,
    rule_name: rule(c).name,
    proposed_rule: rule(c),
    rationale: `denied ${c.host}:${c.port}`,
    security_notes: c.security_notes ?? '',
    created_time: ts(Date.now() - 60_000),
    first_seen_time: ts(Date.now() - 60_000),
    last_seen_time: ts(Date.now() - 1_000),
    hit_count: 3,
    binary: c.binary,
    validation_result: c.validation_result ?? '',
    rejection_reason: c.rejection_reason ?? '',
    application_error: c.application_error ?? '',
    review_token: c.review_token,
  });
  const sandbox = {
    metadata: { id: 'uuid-agent', name: 'agent', workspace: 'team', created_time: ts(Date.now() - 3_600_000) },
    spec: { providers: ['github', 'claude-code'], template: { image: 'registry.example/agent:0.1.0' } },
    status: {
      phase: 'SANDBOX_PHASE_COMPLETED',
      current_policy_version: 4,
      exit_code: 0,
      restart_count: 3,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'ConfigurationRejected',
          message: 'policy rejected',
          transition_time: ts(Date.now() - 5_000),
        },
      ],
      configuration_admission: {
        state: 'CONFIGURATION_ADMISSION_STATE_REJECTED',
        policy_version: 4,
        error: 'Invalid config: unknown middleware "content-guard"',
      },
    },
  };
  const find = (r: Wire) => {
    const scope = r.workspace_scope as Wire | undefined;
    if (r.sandbox !== 'agent' || scope?.workspace !== 'team')
      throw Object.assign(new Error('not found'), { code: grpc.status.NOT_FOUND, details: `sandbox '${String(r.sandbox)}' not found` });
    return sandbox;
  };
  const chunk = (r: Wire) => {
    const c = state.chunks.find((x) => x.id === r.chunk_id);
    if (!c) throw Object.assign(new Error('nf'), { code: grpc.status.NOT_FOUND, details: 'chunk not found' });
    return c;
  };
  // Upstream's gateway refuses these while a global policy is active (require_no_global_policy).
  const requireNoGlobal = () => {
    if (state.policySource === 'POLICY_SOURCE_GLOBAL')
      throw Object.assign(new Error('global'), {
        code: grpc.status.FAILED_PRECONDITION,
        details: 'cannot approve rules while a global policy is active; delete the global policy to manage per-sandbox rules',
      });
  };
  const unary =
    (fn: (r: Wire) => Wire, method?: string) => (call: grpc.ServerUnaryCall<Wire, Wire>, callback: grpc.sendUnaryData<Wire>) => {
      if (method) state.received.push({ method, request: call.request });
      try {
        callback(null, fn(call.request));
      } catch (error) {
        callback(error as grpc.ServiceError);
      }
    };
  // Sends the snapshot and stays open until the client goes, like a gateway's watch.
  const watchSandbox = (call: grpc.ServerWritableStream<Wire, Wire>) => void call.write({ sandbox });
  const server = new grpc.Server();
  server.addService(loadApi('ryno').definition, {
    Health: unary(() => ({ status: 'SERVICE_STATUS_HEALTHY', version: '0.1.11' })),
    ListWorkspaces: unary(() => ({ workspaces: [{ metadata: { name: 'default' } }, { metadata: { name: 'team' } }], next_page_token: '' })),
    ListSandboxes: unary((r) => ({
      sandboxes: (r.workspace_scope as Wire)?.workspace === 'default' ? [] : [sandbox],
      next_page_token: '',
    })),
    GetSandbox: unary((r) => (find({ sandbox: r.name, workspace_scope: r.workspace_scope }), { sandbox })),
    GetDraftPolicy: unary((r) => (find(r), { chunks: state.chunks.map(chunkMessage), draft_version: String(version) })),
    GetSandboxConfig: unary((r) => {
      find({ sandbox: r.name, workspace_scope: r.workspace_scope });
      return {
        policy: { version: 1, network_policies: {} },
        version,
        policy_source: state.policySource,
        global_policy_version: state.policySource === 'POLICY_SOURCE_GLOBAL' ? 9 : 0,
        configuration_admitted: false,
        configuration_error: 'Invalid config: unknown middleware "content-guard"',
        settings: {},
      };
    }),
    GetSandboxPolicyStatus: unary(
      (r) => (
        find(r),
        { revision: { version: r.version, status: 'POLICY_STATUS_FAILED', load_error: 'middleware not registered' }, active_version: 3 }
      ),
    ),
    ApproveDraftChunk: unary((r) => {
      find(r);
      requireNoGlobal();
      const c = chunk(r);
      if (r.review_token !== c.review_token)
        throw Object.assign(new Error('stale'), { code: grpc.status.FAILED_PRECONDITION, details: 'review token does not match; refetch' });
      if (c.status === 'approved')
        throw Object.assign(new Error('x'), { code: grpc.status.FAILED_PRECONDITION, details: "chunk status is 'approved'" });
      c.status = 'approved';
      c.review_token = `${c.review_token}+`;
      return { policy_version: ++version };
    }, 'ApproveDraftChunk'),
    RejectDraftChunk: unary((r) => {
      find(r);
      const c = chunk(r);
      if (c.status === 'approved') requireNoGlobal();
      c.status = 'rejected';
      c.rejection_reason = String(r.reason ?? '');
      return {};
    }, 'RejectDraftChunk'),
    ApproveAllDraftChunks: unary((r) => {
      find(r);
      requireNoGlobal();
      let approved = 0;
      let skipped = 0;
      for (const a of (r.approvals as Wire[]) ?? []) {
        const c = state.chunks.find((x) => x.id === a.chunk_id);
        const approvable =
          c?.status === 'pending' && c.review_token === a.review_token && !(c.security_notes && !r.include_security_flagged);
        if (c && approvable) (c.status = 'approved'), approved++;
        else skipped++;
      }
      return { policy_version: approved ? ++version : 0, chunks_approved: approved, chunks_skipped: skipped };
    }, 'ApproveAllDraftChunks'),
    EditDraftChunk: unary((r) => (find(r), chunk(r), {}), 'EditDraftChunk'),
    ClearDraftChunks: unary((r) => {
      find(r);
      const before = state.chunks.length;
      state.chunks = state.chunks.filter((c) => c.status !== 'pending');
      return { chunks_cleared: before - state.chunks.length };
    }, 'ClearDraftChunks'),
    GetProvider: unary((r) => {
      if (r.name !== 'github') throw Object.assign(new Error('nf'), { code: grpc.status.NOT_FOUND, details: 'provider not found' });
      return {
        provider: {
          metadata: { name: 'github', workspace: 'team' },
          type: 'github',
          credentials: { GITHUB_TOKEN: 'ghp_supersecretvalue', GH_ENTERPRISE_TOKEN: 'ghe_othersecret' },
          config: { GITHUB_API_URL: 'https://api.github.com' },
          credential_expiration_times: { GITHUB_TOKEN: ts(Date.UTC(2027, 0, 1)) },
        },
      };
    }),
    ListProviders: unary(() => ({ providers: [], next_page_token: '' })),
    WatchSandbox: watchSandbox,
  });
  state.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  state.close = () => new Promise((resolve) => server.tryShutdown(() => resolve()));
  return state;
}
