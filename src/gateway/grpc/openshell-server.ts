// The embedded core served over openshell.v1 (the subset in proto/): one sandbox per core, pending
// requests as draft chunks, decisions as Approve/Reject/Undo, merges via UpdateConfig, logs via
// GetSandboxLogs and WatchSandbox. Semantics follow upstream's gateway (see README, "Gateway mode").
import * as grpc from '@grpc/grpc-js';
import { parse as parseYaml } from 'yaml';
import { CoreError, type EnforcementCore } from '../../core/engine/enforcement-core.js';
import type { LogLine } from '../../core/engine/log-buffer.js';
import type { PendingRequest } from '../../core/inbox/pending-request.js';
import type { MergeManager } from '../../core/merges/merge-manager.js';
import { MergeError } from '../../core/policy/merge-operations.js';
import type { Revision } from '../../core/revisions/revision-log.js';
import { chunkStatus, generatedRuleName, reviewToken, securityNotes, toPolicyChunk } from './draft-chunk.js';
import { mergeOperationsFromProto } from './merge-codec.js';
import { policyToProto } from './policy-codec.js';
import { openShellServiceDefinition } from './proto.js';
import { GrpcStatusError } from './status-error.js';
import { bracketHost } from '../../core/net/host-port.js';

export interface ServedSandbox {
  id: string;
  name: string;
  createdAt: number;
  core: EnforcementCore;
  merges: MergeManager;
}

export interface OpenShellServerOptions {
  sandboxes: ServedSandbox[];
  version: string;
  /** When set, every call must carry `authorization: Bearer <token>`. */
  token?: string;
  /** Serve TLS; with `ca`, clients must present a certificate it signed (mTLS, as OpenShell gateways). */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer };
}

const DEFAULT_WORKSPACE = 'default';
/** A watcher this far behind is cut off (upstream: RESOURCE_EXHAUSTED) rather than buffering without bound. */
const MAX_WATCH_BACKLOG = 4096;
const LEVEL_RANK: Record<string, number> = { ERROR: 0, WARN: 1, INFO: 2, OCSF: 2, DEBUG: 3, TRACE: 4 };

type Handler = (request: any, call: grpc.ServerUnaryCall<any, any>) => unknown;

export class OpenShellServer {
  private readonly server = new grpc.Server({
    // Clients (upstream's included) ping every 10 s even when idle; accept that instead of GOAWAY.
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
  });
  private readonly draftVersions = new Map<string, number>();

  constructor(private readonly options: OpenShellServerOptions) {
    for (const s of options.sandboxes) {
      this.draftVersions.set(s.id, 1);
      const bump = () => this.draftVersions.set(s.id, (this.draftVersions.get(s.id) ?? 0) + 1);
      s.core.on('request.pending', bump);
      s.core.on('request.updated', bump);
      s.core.on('request.decided', bump);
    }
    const unary =
      (fn: Handler): grpc.handleUnaryCall<any, any> =>
      (call, callback) => {
        try {
          this.authorize(call.metadata);
          Promise.resolve(fn(call.request, call)).then(
            (value) => callback(null, value),
            (error) => callback(toServiceError(error)),
          );
        } catch (error) {
          callback(toServiceError(error));
        }
      };
    this.server.addService(openShellServiceDefinition, {
      Health: unary(() => ({ status: 'SERVICE_STATUS_HEALTHY', version: options.version })),
      GetGatewayInfo: unary(() => ({ status: 'SERVICE_STATUS_HEALTHY', gateway_version: options.version, compute_drivers: [] })),
      ListWorkspaces: unary(() => ({
        workspaces: [{ metadata: { id: DEFAULT_WORKSPACE, name: DEFAULT_WORKSPACE }, status: { phase: 'WORKSPACE_PHASE_ACTIVE' } }],
      })),
      ListSandboxes: unary((r) => ({
        sandboxes: page(this.inWorkspace(r.workspace), r.limit, r.offset, 100).map((s) => this.sandboxMessage(s)),
      })),
      GetSandbox: unary((r) => ({ sandbox: this.sandboxMessage(this.byName(r.name, r.workspace)) })),
      ListProviders: unary((r) => (this.inWorkspace(r.workspace), { providers: [] })),
      GetSandboxConfig: unary((r) => this.sandboxConfig(this.byId(r.sandbox_id, 'sandbox_id'))),
      GetSandboxPolicyStatus: unary((r) => this.policyStatus(this.byName(r.name, r.workspace, r.global), r.version)),
      ListSandboxPolicies: unary((r) => {
        const s = this.byName(r.name, r.workspace, r.global);
        const newestFirst = s.core.revisions.list().slice().reverse();
        return { revisions: page(newestFirst, r.limit, r.offset, 50).map((rev) => revisionMessage(rev, s.core.revision.number, false)) };
      }),
      GetSandboxLogs: unary((r) => {
        const s = this.byId(r.sandbox_id, 'sandbox_id');
        const lines = s.core.logs.since(0).slice(-(r.lines || 2000));
        const since = Number(r.since_ms || 0);
        const keep = logFilter(r.sources, r.min_level);
        return { logs: lines.filter((l) => l.time >= since && keep(l)).map((l) => logMessage(s, l)), buffer_total: lines.length };
      }),
      WatchSandbox: (call: grpc.ServerWritableStream<any, any>) => this.watch(call),
      GetDraftPolicy: unary((r) => {
        const s = this.byName(r.name, r.workspace);
        const sha = s.core.revision.sha256;
        const chunks = s.core
          .listRequests()
          .filter((q) => !r.status_filter || chunkStatus(q) === r.status_filter)
          .sort((a, b) => b.firstSeen - a.firstSeen)
          .map((q) => toPolicyChunk(q, sha));
        return { chunks, rolling_summary: '', draft_version: String(this.draftVersions.get(s.id) ?? 0), last_analyzed_at_ms: '0' };
      }),
      ApproveDraftChunk: unary((r, call) => {
        const s = this.byName(r.name, r.workspace);
        const entry = this.chunk(s, r.chunk_id);
        if (chunkStatus(entry) === 'approved')
          throw new GrpcStatusError(grpc.status.FAILED_PRECONDITION, `chunk status is 'approved', expected 'pending' or 'rejected'`);
        requireToken(entry, s, r.review_token);
        s.core.approve(entry.id, { kind: 'session' }, actor(call));
        return { policy_version: s.core.revision.number, policy_hash: s.core.revision.sha256 };
      }),
      RejectDraftChunk: unary((r, call) => {
        const s = this.byName(r.name, r.workspace);
        const entry = this.chunk(s, r.chunk_id);
        if (chunkStatus(entry) === 'rejected')
          throw new GrpcStatusError(grpc.status.FAILED_PRECONDITION, `chunk status is 'rejected', expected 'pending' or 'approved'`);
        // Rejecting an approved chunk first takes its rule back out, as upstream does.
        if (entry.status === 'approved') s.core.undo(entry.id, actor(call));
        s.core.reject(entry.id, r.reason || undefined, actor(call));
        return {};
      }),
      ApproveAllDraftChunks: unary((r, call) => this.approveAll(this.byName(r.name, r.workspace), r, actor(call))),
      UndoDraftChunk: unary((r, call) => {
        const s = this.byName(r.name, r.workspace);
        const entry = this.chunk(s, r.chunk_id);
        if (entry.status !== 'approved')
          throw new GrpcStatusError(grpc.status.FAILED_PRECONDITION, `chunk status is '${chunkStatus(entry)}', expected 'approved'`);
        s.core.undo(entry.id, actor(call));
        return { policy_version: s.core.revision.number, policy_hash: s.core.revision.sha256 };
      }),
      EditDraftChunk: unary((r) => {
        const s = this.byName(r.name, r.workspace);
        this.chunk(s, r.chunk_id);
        // A chunk here is a live request decided by host, port and binary; a different rule is a merge.
        throw new GrpcStatusError(
          grpc.status.FAILED_PRECONDITION,
          'the embedded core proposes exactly the requested host, port and binary; to allow something else, approve and then UpdateConfig with merge_operations (or promote to a preset)',
        );
      }),
      GetDraftHistory: unary((r) => ({ entries: draftHistory(this.byName(r.name, r.workspace).core.listRequests()) })),
      UpdateConfig: unary(async (r, call) => {
        if (r.global)
          throw new GrpcStatusError(
            grpc.status.FAILED_PRECONDITION,
            'the embedded core has no global policy scope; update the sandbox by name',
          );
        const s = this.byName(r.name, r.workspace);
        const ops = r.merge_operations ?? [];
        const given = [r.policy ? 'policy' : '', r.setting_key ? 'setting_key' : '', ops.length ? 'merge_operations' : ''].filter(Boolean);
        if (given.length > 1)
          throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'policy, setting_key, and merge_operations are mutually exclusive');
        if (given.length === 0)
          throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'one of policy, setting_key, or merge_operations must be provided');
        if (!ops.length)
          throw new GrpcStatusError(
            grpc.status.UNIMPLEMENTED,
            'the embedded core takes merge_operations only (its baseline comes from --policy and presets)',
          );
        const expected = Number(r.expected_resource_version || 0);
        if (expected !== 0 && expected !== s.core.revision.number) {
          throw new GrpcStatusError(
            grpc.status.ABORTED,
            `update failed due to concurrent modification (current resource_version: ${s.core.revision.number})`,
          );
        }
        const { revision } = await s.merges.apply(mergeOperationsFromProto(ops), actor(call));
        return { version: revision.number, policy_hash: revision.sha256, settings_revision: '0', deleted: false, annotations: {} };
      }),
    });
  }

  listen(host: string, port: number): Promise<{ address: string; port: number }> {
    const address = `${bracketHost(host)}:${port}`;
    return new Promise((resolve, reject) => {
      const { tls } = this.options;
      const credentials = tls
        ? grpc.ServerCredentials.createSsl(tls.ca ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], Boolean(tls.ca))
        : grpc.ServerCredentials.createInsecure();
      this.server.bindAsync(address, credentials, (error, bound) => (error ? reject(error) : resolve({ address: host, port: bound })));
    });
  }

  /** Stops accepting calls; open streams are ended so clients see the server go and reconnect. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      const force = setTimeout(() => this.server.forceShutdown(), 1000);
      this.server.tryShutdown(() => (clearTimeout(force), resolve()));
    });
  }

  private authorize(metadata: grpc.Metadata): void {
    if (!this.options.token) return;
    const header = String(metadata.get('authorization')[0] ?? '');
    if (header !== `Bearer ${this.options.token}`)
      throw new GrpcStatusError(grpc.status.UNAUTHENTICATED, "missing or wrong bearer token (see the core state dir's control.token)");
  }

  private inWorkspace(workspace: string | undefined): ServedSandbox[] {
    const name = workspace || DEFAULT_WORKSPACE;
    if (name !== DEFAULT_WORKSPACE) throw new GrpcStatusError(grpc.status.NOT_FOUND, `workspace '${name}' not found`);
    return this.options.sandboxes;
  }

  private byName(name: string, workspace?: string, global?: boolean): ServedSandbox {
    if (global) throw new GrpcStatusError(grpc.status.FAILED_PRECONDITION, 'the embedded core has no global policy scope');
    if (!name) throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'name is required');
    const found = this.inWorkspace(workspace).find((s) => s.name === name);
    if (!found) throw new GrpcStatusError(grpc.status.NOT_FOUND, 'sandbox not found');
    return found;
  }

  private byId(id: string, field: string): ServedSandbox {
    if (!id) throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, `${field} is required`);
    const found = this.options.sandboxes.find((s) => s.id === id);
    if (!found) throw new GrpcStatusError(grpc.status.NOT_FOUND, 'sandbox not found');
    return found;
  }

  private chunk(s: ServedSandbox, id: string): PendingRequest {
    const entry = id ? s.core.getRequest(id) : undefined;
    if (!entry) throw new GrpcStatusError(grpc.status.NOT_FOUND, `chunk '${id}' not found`);
    return entry;
  }

  private sandboxMessage(s: ServedSandbox) {
    return {
      metadata: {
        id: s.id,
        name: s.name,
        workspace: DEFAULT_WORKSPACE,
        created_at_ms: String(s.createdAt),
        resource_version: String(s.core.revision.number),
      },
      spec: {},
      status: { sandbox_name: s.name, phase: 'SANDBOX_PHASE_READY', current_policy_version: s.core.revision.number },
    };
  }

  private sandboxConfig(s: ServedSandbox) {
    const revision = s.core.revision;
    return {
      policy: policyToProto(s.core.effective.policy),
      version: revision.number,
      policy_hash: revision.sha256,
      config_revision: String(revision.number),
      policy_source: 'POLICY_SOURCE_SANDBOX',
      workspace: DEFAULT_WORKSPACE,
    };
  }

  private policyStatus(s: ServedSandbox, version: number) {
    const revision = version ? s.core.revisions.get(version) : s.core.revision;
    if (!revision) throw new GrpcStatusError(grpc.status.NOT_FOUND, `policy revision ${version} not found`);
    return { revision: revisionMessage(revision, s.core.revision.number, true), active_version: s.core.revision.number };
  }

  private approveAll(s: ServedSandbox, r: any, by: string) {
    const pending = s.core.listRequests().filter((q) => chunkStatus(q) === 'pending');
    if (pending.length === 0) throw new GrpcStatusError(grpc.status.FAILED_PRECONDITION, 'no pending chunks to approve');
    const approvals: Array<{ chunk_id: string; review_token: string }> = r.approvals ?? [];
    // Without an explicit list every chunk is tried with an empty token, which never matches (upstream).
    const wanted = approvals.length > 0 ? approvals : pending.map((q) => ({ chunk_id: q.id, review_token: '' }));
    for (const a of wanted) {
      const entry = s.core.getRequest(a.chunk_id);
      if (!entry || chunkStatus(entry) !== 'pending')
        throw new GrpcStatusError(grpc.status.FAILED_PRECONDITION, `chunk '${a.chunk_id}' is not pending; refetch before bulk approval`);
    }
    const sha = s.core.revision.sha256;
    const ids: string[] = [];
    let skipped = 0;
    for (const a of wanted) {
      const entry = s.core.getRequest(a.chunk_id)!;
      const flagged = securityNotes(entry) !== '' && !r.include_security_flagged;
      if (flagged || a.review_token !== reviewToken(entry, sha)) {
        skipped++;
        continue;
      }
      ids.push(entry.id);
    }
    // One change for the batch (one revision, linear in its size). Asking to include security-flagged chunks
    // is asking for those whose note says an unknown binary means any binary.
    const approved = s.core.approveMany(ids, { kind: 'session' }, by, { allowUnknownBinary: Boolean(r.include_security_flagged) }).approved
      .length;
    const revision = approved > 0 ? s.core.revision : undefined;
    return {
      policy_version: revision?.number ?? 0,
      policy_hash: revision?.sha256 ?? '',
      chunks_approved: approved,
      chunks_skipped: skipped,
    };
  }

  /** Snapshot first, then the log tail, then live: logs, a snapshot per policy change, draft updates. */
  private watch(call: grpc.ServerWritableStream<any, any>): void {
    let s: ServedSandbox;
    try {
      this.authorize(call.metadata);
      s = this.byId(call.request.id, 'id');
    } catch (error) {
      // grpc-js sends a stream's status from its 'error' event (destroy would drop the call silently).
      call.emit('error', toServiceError(error));
      return;
    }
    const r = call.request;
    const keep = logFilter(r.log_sources, r.log_min_level);
    let backlog = 0;
    let closed = false;
    const send = (event: object) => {
      if (closed) return;
      if (call.writableLength > MAX_WATCH_BACKLOG * 1024 || backlog > MAX_WATCH_BACKLOG) {
        stop();
        call.emit(
          'error',
          toServiceError(new GrpcStatusError(grpc.status.RESOURCE_EXHAUSTED, 'watch stream lagged; reconnect and refetch')),
        );
        return;
      }
      if (!call.write(event)) backlog++;
    };
    call.on('drain', () => (backlog = 0));
    send({ sandbox: this.sandboxMessage(s) });
    if (r.follow_logs) {
      const since = Number(r.log_since_ms || 0);
      for (const line of s.core.logs.since(0).slice(-(r.log_tail_lines || 200)))
        if (line.time >= since && keep(line)) send({ log: logMessage(s, line) });
    }
    const onLog = (line: LogLine) => r.follow_logs && keep(line) && send({ log: logMessage(s, line) });
    const onRevision = (_: Revision) => r.follow_status && send({ sandbox: this.sandboxMessage(s) });
    const onRequest = (q: PendingRequest) => {
      const pending = s.core.listRequests().filter((x) => chunkStatus(x) === 'pending').length;
      send({
        draft_policy_update: {
          draft_version: String(this.draftVersions.get(s.id) ?? 0),
          new_chunks: q.hits === 1 ? 1 : 0,
          total_pending: pending,
          summary: `${q.id} ${generatedRuleName(q.host, q.port)} ${chunkStatus(q)}`,
        },
      });
    };
    s.core.on('log', onLog);
    s.core.on('policy.revision', onRevision);
    s.core.on('request.pending', onRequest);
    s.core.on('request.updated', onRequest);
    s.core.on('request.decided', onRequest);
    const stop = () => {
      closed = true;
      s.core.off('log', onLog);
      s.core.off('policy.revision', onRevision);
      s.core.off('request.pending', onRequest);
      s.core.off('request.updated', onRequest);
      s.core.off('request.decided', onRequest);
    };
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop);
  }
}

function requireToken(entry: PendingRequest, s: ServedSandbox, supplied: string): void {
  if (supplied !== reviewToken(entry, s.core.revision.sha256)) {
    throw new GrpcStatusError(
      grpc.status.FAILED_PRECONDITION,
      'review token does not match the fetched proposal; refetch and review again',
    );
  }
}

function actor(call: grpc.ServerUnaryCall<any, any>): string {
  return `grpc ${call.getPeer()}`;
}

function page<T>(items: T[], limit: number, offset: number, fallback: number): T[] {
  const n = !limit ? fallback : Math.min(limit, 1000);
  return items.slice(offset || 0, (offset || 0) + n);
}

function revisionMessage(revision: Revision, current: number, withPolicy: boolean) {
  return {
    version: revision.number,
    policy_hash: revision.sha256,
    // The core enforces a revision the moment it exists: the newest is loaded, the rest superseded.
    status: revision.number === current ? 'POLICY_STATUS_LOADED' : 'POLICY_STATUS_SUPERSEDED',
    created_at_ms: String(revision.time),
    loaded_at_ms: String(revision.time),
    provenance: { cause: revision.cause, detail: revision.detail },
    ...(withPolicy ? { policy: policyToProto(parseYaml(revision.yaml)) } : {}),
  };
}

function logMessage(s: ServedSandbox, line: LogLine) {
  return {
    sandbox_id: s.id,
    timestamp_ms: String(line.time),
    level: line.level.toUpperCase(),
    target: line.source,
    message: line.message,
    source: 'sandbox',
    fields: {},
  };
}

/** Upstream's filters: sources ("gateway" | "sandbox"; ours are all sandbox lines) and a minimum level. */
function logFilter(sources: string[] | undefined, minLevel: string | undefined): (line: LogLine) => boolean {
  const min = minLevel ? (LEVEL_RANK[minLevel.toUpperCase()] ?? 5) : 5;
  const sandboxWanted = !sources?.length || sources.includes('sandbox');
  return (line) => sandboxWanted && (LEVEL_RANK[line.level.toUpperCase()] ?? 5) <= min;
}

function draftHistory(requests: PendingRequest[]) {
  const entries = requests.flatMap((q) => {
    const rule = generatedRuleName(q.host, q.port);
    const proposed = { timestamp_ms: q.firstSeen, event_type: 'proposed', description: `Rule '${rule}' proposed`, chunk_id: q.id };
    const status = chunkStatus(q);
    return status !== 'pending' && q.decidedAt
      ? [proposed, { timestamp_ms: q.decidedAt, event_type: status, description: `Rule '${rule}' ${status}`, chunk_id: q.id }]
      : [proposed];
  });
  return entries.sort((a, b) => a.timestamp_ms - b.timestamp_ms).map((e) => ({ ...e, timestamp_ms: String(e.timestamp_ms) }));
}

function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  if (error instanceof GrpcStatusError) return { code: error.code, details: error.message, message: error.message };
  if (error instanceof MergeError) return { code: grpc.status.INVALID_ARGUMENT, details: error.message, message: error.message };
  // The core refuses a decision that does not fit the request's state: the caller should refetch.
  if (error instanceof CoreError) return { code: grpc.status.FAILED_PRECONDITION, details: error.message, message: error.message };
  const message = (error as Error)?.message ?? String(error);
  return { code: grpc.status.INTERNAL, details: message, message };
}
