// The embedded core served over gRPC: one sandbox per core, pending requests as draft chunks,
// decisions as Approve/Reject/Undo/ApproveAll, merges via UpdateConfig, runtime settings, logs via
// GetSandboxLogs and WatchSandbox. `current` serves the 0.1.x API under both of its service names
// (openshell.v1.OpenShell and ryno.v1.Ryno); `legacy` serves 0.0.x (the same service name as 0.1.x,
// so on a port of its own). Semantics follow upstream's gateway (README, "Gateway mode"): request_id
// replays, resumable watch cursors, page tokens, explicit workspaces, and every call authenticated —
// loopback included — by the control token or a client certificate.
import * as grpc from '@grpc/grpc-js';
import { parse as parseYaml } from 'yaml';
import { CoreError, type EnforcementCore } from '../../core/engine/enforcement-core.js';
import type { LogLine } from '../../core/engine/log-buffer.js';
import type { PendingRequest } from '../../core/inbox/pending-request.js';
import type { MergeManager } from '../../core/merges/merge-manager.js';
import { MergeError } from '../../core/policy/merge-operations.js';
import type { Revision } from '../../core/revisions/revision-log.js';
import { chunkStatus, generatedRuleName, reviewToken, securityNotes, toPolicyChunk } from './draft-chunk.js';
import { checkL7Target, mergeOperationsFromProto } from './merge-codec.js';
import { policyToProto } from './policy-codec.js';
import { API_GENERATION_HEADER, type ApiId, loadApi } from './proto.js';
import { RequestIds } from './server/request-ids.js';
import { requireBearer } from './server/server-auth.js';
import { ServedSettings } from './server/served-settings.js';
import { watchCore } from '../core-projection.js';
import { DEFAULT_WORKSPACE, pageOf, type ServedGeneration, sandboxNameOf, timeField, workspaceOf } from './server/served-wire.js';
import { GrpcStatusError } from './server/status-error.js';
import { CursorSpace } from './server/watch-cursors.js';
import { settingFromWire, settingToWire } from './wire-decode.js';
import { isWire, list, num, obj, str, type Wire } from './wire.js';
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
  /** Which API generation this endpoint speaks (default current: 0.1.x). */
  generation?: ServedGeneration;
  /**
   * The control token every call must carry as `authorization: Bearer …`. Omitted only when `tls.ca`
   * makes clients present a certificate (mTLS): then the certificate is the credential.
   */
  token?: string;
  /** Serve TLS; with `ca`, clients must present a certificate it signed (mTLS, as OpenShell gateways). */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer };
}

/** A watcher this far behind is cut off (upstream: RESOURCE_EXHAUSTED) rather than buffering without bound. */
const MAX_WATCH_BACKLOG = 4096;
const LEVEL_RANK: Record<string, number> = { ERROR: 0, WARN: 1, INFO: 2, OCSF: 2, DEBUG: 3, TRACE: 4 };

type Handler = (request: Wire, call: grpc.ServerUnaryCall<Wire, Wire>) => unknown;

interface SandboxRuntime {
  cursors: CursorSpace;
  draftVersion: number;
}

export class OpenShellServer {
  private readonly server = new grpc.Server({
    // Clients (upstream's included) ping every 10 s even when idle; accept that instead of GOAWAY.
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
  });
  private readonly runtime = new Map<string, SandboxRuntime>();
  private readonly requestIds = new RequestIds();
  private readonly settings = new ServedSettings();
  /** Every subscription to a core (draft versions, open watch streams), each through the one core projection: all undone on close. */
  private readonly detach = new Set<() => void>();
  readonly generation: ServedGeneration;

  constructor(private readonly options: OpenShellServerOptions) {
    if (options.token === undefined && !options.tls?.ca)
      throw new Error('the gateway API needs the control token, or client certificates (tls.ca): it never serves unauthenticated');
    this.generation = options.generation ?? 'current';
    for (const s of options.sandboxes) {
      const runtime: SandboxRuntime = { cursors: new CursorSpace(), draftVersion: 1 };
      this.runtime.set(s.id, runtime);
      this.detach.add(
        watchCore(s.core, (change) => {
          if (change.type === 'request') runtime.draftVersion++;
        }),
      );
    }
    const apis: ApiId[] = this.generation === 'legacy' ? ['v0'] : ['v1', 'ryno'];
    for (const id of apis) this.server.addService(loadApi(id).definition, this.handlers());
  }

  private handlers(): grpc.UntypedServiceImplementation {
    const gen = this.generation;
    const unary =
      (fn: Handler): grpc.handleUnaryCall<Wire, Wire> =>
      (call, callback) => {
        try {
          requireBearer(call.metadata, this.options.token);
          Promise.resolve(fn(call.request, call)).then(
            (value) => callback(null, value as Wire),
            (error) => callback(toServiceError(error)),
          );
        } catch (error) {
          callback(toServiceError(error));
        }
      };
    /** A mutation: replayed, not re-applied, when retried with the same request_id (0.1.x). */
    const mutation = (method: string, fn: Handler): grpc.handleUnaryCall<Wire, Wire> =>
      unary((r, call) => (gen === 'current' ? this.requestIds.run(method, r, () => fn(r, call)) : fn(r, call)));
    const sandboxOf = (r: Wire) => this.byName(sandboxNameOf(gen, r), workspaceOf(gen, r));

    return {
      Health: (call: grpc.ServerUnaryCall<Wire, Wire>, callback: grpc.sendUnaryData<Wire>) => {
        // Upstream serves Health unauthenticated; it says nothing but the version.
        const marker = new grpc.Metadata();
        marker.set(API_GENERATION_HEADER, gen === 'legacy' ? '0.0' : '0.1');
        call.sendMetadata(marker);
        callback(null, { status: 'SERVICE_STATUS_HEALTHY', version: this.options.version });
      },
      ListWorkspaces: unary((r) => {
        const page = pageOf(gen, 'ListWorkspaces', r, [DEFAULT_WORKSPACE]);
        return {
          workspaces: page.items.map((name) => ({ metadata: { id: name, name }, status: { phase: 'WORKSPACE_PHASE_ACTIVE' } })),
          ...page.next,
        };
      }),
      ListSandboxes: unary((r) => {
        const page = pageOf(gen, 'ListSandboxes', r, this.inWorkspace(workspaceOf(gen, r, { allowAll: true })));
        return { sandboxes: page.items.map((s) => this.sandboxMessage(s)), ...page.next };
      }),
      GetSandbox: unary((r) => ({ sandbox: this.sandboxMessage(this.byName(str(r, 'name'), workspaceOf(gen, r), 'name')) })),
      ListProviders: unary(
        (r) => (
          this.inWorkspace(workspaceOf(gen, r, { allowAll: true })),
          { providers: [], ...(gen === 'current' ? { next_page_token: '' } : {}) }
        ),
      ),
      GetProvider: unary((r) => {
        this.inWorkspace(workspaceOf(gen, r));
        throw new GrpcStatusError(grpc.status.NOT_FOUND, `provider '${str(r, 'name')}' not found (the embedded core has no providers)`);
      }),
      GetSandboxConfig: unary((r) =>
        this.sandboxConfig(
          gen === 'current' ? this.byName(str(r, 'name'), workspaceOf(gen, r), 'name') : this.byId(str(r, 'sandbox_id'), 'sandbox_id'),
        ),
      ),
      GetGatewayConfig: unary(() => ({
        settings: Object.fromEntries(this.settings.list().map((e) => [e.key, e.value ? settingToWire(e.value) : {}])),
        settings_revision: String(this.settings.revision()),
      })),
      GetSandboxPolicyStatus: unary((r) => this.policyStatus(this.scoped(r), num(r, 'version'))),
      ListSandboxPolicies: unary((r) => {
        const s = this.scoped(r);
        const newestFirst = s.core.revisions.list().slice().reverse();
        const page = pageOf(gen, 'ListSandboxPolicies', r, newestFirst);
        return { revisions: page.items.map((rev) => this.revisionMessage(rev, s.core.revision.number, false)), ...page.next };
      }),
      GetSandboxLogs: unary((r) => {
        const s = gen === 'current' ? sandboxOf(r) : this.byId(str(r, 'sandbox_id'), 'sandbox_id');
        const lines = s.core.logs.since(0).slice(-(num(r, 'lines') || 2000));
        const since = gen === 'current' ? timeOf(r, 'since_time') : num(r, 'since_ms');
        const keep = logFilter(r.sources, r.min_level);
        return { logs: lines.filter((l) => l.time >= since && keep(l)).map((l) => this.logMessage(s, l)), buffer_total: lines.length };
      }),
      WatchSandbox: (call: grpc.ServerWritableStream<Wire, Wire>) => this.watch(call),
      GetDraftPolicy: unary((r) => {
        const s = sandboxOf(r);
        const sha = s.core.revision.sha256;
        const chunks = s.core
          .listRequests()
          .filter((q) => !r.status_filter || chunkStatus(q) === r.status_filter)
          .sort((a, b) => b.firstSeen - a.firstSeen)
          .map((q) => toPolicyChunk(q, sha, gen));
        return {
          chunks,
          rolling_summary: '',
          draft_version: String(this.runtimeOf(s).draftVersion),
          ...timeField(gen, 'last_analyzed_at_ms', 'last_analyzed_time', 0),
        };
      }),
      ApproveDraftChunk: mutation('ApproveDraftChunk', (r, call) => {
        const s = sandboxOf(r);
        const entry = this.chunk(s, str(r, 'chunk_id'));
        if (chunkStatus(entry) === 'approved')
          throw new GrpcStatusError(grpc.status.FAILED_PRECONDITION, `chunk status is 'approved', expected 'pending' or 'rejected'`);
        requireToken(entry, s, str(r, 'review_token'));
        s.core.approve(entry.id, { kind: 'session' }, actor(call));
        return { policy_version: s.core.revision.number, policy_hash: s.core.revision.sha256 };
      }),
      RejectDraftChunk: mutation('RejectDraftChunk', (r, call) => {
        const s = sandboxOf(r);
        const entry = this.chunk(s, str(r, 'chunk_id'));
        if (chunkStatus(entry) === 'rejected')
          throw new GrpcStatusError(grpc.status.FAILED_PRECONDITION, `chunk status is 'rejected', expected 'pending' or 'approved'`);
        // Rejecting an approved chunk first takes its rule back out, as upstream does.
        if (entry.status === 'approved') s.core.undo(entry.id, actor(call));
        s.core.reject(entry.id, str(r, 'reason') || undefined, actor(call));
        return {};
      }),
      ApproveAllDraftChunks: mutation('ApproveAllDraftChunks', (r, call) => this.approveAll(sandboxOf(r), r, actor(call))),
      UndoDraftChunk: mutation('UndoDraftChunk', (r, call) => {
        const s = sandboxOf(r);
        const entry = this.chunk(s, str(r, 'chunk_id'));
        if (entry.status !== 'approved')
          throw new GrpcStatusError(grpc.status.FAILED_PRECONDITION, `chunk status is '${chunkStatus(entry)}', expected 'approved'`);
        s.core.undo(entry.id, actor(call));
        return { policy_version: s.core.revision.number, policy_hash: s.core.revision.sha256 };
      }),
      EditDraftChunk: mutation('EditDraftChunk', (r) => {
        const s = sandboxOf(r);
        this.chunk(s, str(r, 'chunk_id'));
        // A chunk here is a live request decided by host, port and binary; a different rule is a merge.
        throw new GrpcStatusError(
          grpc.status.FAILED_PRECONDITION,
          'the embedded core proposes exactly the requested host, port and binary; to allow something else, approve and then UpdateConfig with merge_operations (or promote to a preset)',
        );
      }),
      ClearDraftChunks: mutation('ClearDraftChunks', (r) => {
        sandboxOf(r);
        throw new GrpcStatusError(
          grpc.status.FAILED_PRECONDITION,
          "the embedded core's pending requests are live connections waiting for a decision: approve or reject them (they cannot be cleared)",
        );
      }),
      GetDraftHistory: unary((r) => ({ entries: draftHistory(sandboxOf(r).core.listRequests(), gen) })),
      UpdateConfig: mutation('UpdateConfig', (r, call) => this.updateConfig(r, call)),
    };
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
    this.unsubscribeAll();
    return new Promise((resolve) => {
      const force = setTimeout(() => this.server.forceShutdown(), 1000);
      this.server.tryShutdown(() => (clearTimeout(force), resolve()));
    });
  }

  /** Drops every connection at once, as a crash would (tests of reconnects). */
  forceShutdown(): void {
    this.unsubscribeAll();
    this.server.forceShutdown();
  }

  private unsubscribeAll(): void {
    for (const undo of this.detach) undo();
    this.detach.clear();
  }

  private runtimeOf(s: ServedSandbox): SandboxRuntime {
    return this.runtime.get(s.id)!;
  }

  private inWorkspace(workspace: string): ServedSandbox[] {
    if (workspace !== '*' && workspace !== DEFAULT_WORKSPACE)
      throw new GrpcStatusError(grpc.status.NOT_FOUND, `workspace '${workspace}' not found`);
    return this.options.sandboxes;
  }

  private byName(name: string, workspace: string, field = this.generation === 'current' ? 'sandbox' : 'name'): ServedSandbox {
    if (!name) throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, `${field} is required`);
    const found = this.inWorkspace(workspace).find((s) => s.name === name);
    if (!found) throw new GrpcStatusError(grpc.status.NOT_FOUND, `sandbox '${name}' not found in workspace '${workspace}'`);
    return found;
  }

  private byId(id: string, field: string): ServedSandbox {
    if (!id) throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, `${field} is required`);
    const found = this.options.sandboxes.find((s) => s.id === id);
    if (!found) throw new GrpcStatusError(grpc.status.NOT_FOUND, 'sandbox not found');
    return found;
  }

  /** A policy request's target: the embedded core has no gateway-global policy scope. */
  private scoped(r: Wire): ServedSandbox {
    if (r.global === true) throw new GrpcStatusError(grpc.status.FAILED_PRECONDITION, 'the embedded core has no global policy scope');
    return this.byName(sandboxNameOf(this.generation, r), workspaceOf(this.generation, r));
  }

  private chunk(s: ServedSandbox, id: string): PendingRequest {
    const entry = id ? s.core.getRequest(id) : undefined;
    if (!entry) throw new GrpcStatusError(grpc.status.NOT_FOUND, `chunk '${id}' not found`);
    return entry;
  }

  private sandboxMessage(s: ServedSandbox): Wire {
    const gen = this.generation;
    const revision = s.core.revision;
    return {
      metadata: {
        id: s.id,
        name: s.name,
        workspace: DEFAULT_WORKSPACE,
        ...timeField(gen, 'created_at_ms', 'created_time', s.createdAt),
        resource_version: String(revision.number),
      },
      spec: {},
      status: {
        ...(gen === 'legacy' ? { sandbox_name: s.name } : {}),
        phase: 'SANDBOX_PHASE_READY',
        current_policy_version: revision.number,
        ...(gen === 'current'
          ? {
              // The core enforces what it composes, at once: every revision it makes is admitted and loaded.
              configuration_admission: {
                instance_id: s.id,
                state: 'CONFIGURATION_ADMISSION_STATE_ACCEPTED',
                policy_version: revision.number,
                policy_hash: revision.sha256,
                config_revision: String(revision.number),
              },
              configuration_activated: true,
              restart_count: 0,
            }
          : {}),
      },
    };
  }

  private sandboxConfig(s: ServedSandbox): Wire {
    const revision = s.core.revision;
    return {
      policy: policyToProto(s.core.effective.policy, this.generation),
      version: revision.number,
      policy_hash: revision.sha256,
      settings: Object.fromEntries(
        this.settings.list(s.name).map((e) => [
          e.key,
          {
            value: e.value ? settingToWire(e.value) : {},
            scope:
              e.source === 'global'
                ? 'SETTING_SCOPE_GLOBAL'
                : e.source === 'sandbox'
                  ? 'SETTING_SCOPE_SANDBOX'
                  : 'SETTING_SCOPE_UNSPECIFIED',
          },
        ]),
      ),
      config_revision: String(revision.number),
      policy_source: 'POLICY_SOURCE_SANDBOX',
      workspace: DEFAULT_WORKSPACE,
      ...(this.generation === 'current' ? { configuration_admitted: true, configuration_instance_id: s.id } : {}),
    };
  }

  private policyStatus(s: ServedSandbox, version: number): Wire {
    const revision = version ? s.core.revisions.get(version) : s.core.revision;
    if (!revision) throw new GrpcStatusError(grpc.status.NOT_FOUND, `policy revision ${version} not found`);
    return { revision: this.revisionMessage(revision, s.core.revision.number, true), active_version: s.core.revision.number };
  }

  private revisionMessage(revision: Revision, current: number, withPolicy: boolean): Wire {
    const gen = this.generation;
    return {
      version: revision.number,
      policy_hash: revision.sha256,
      // The core enforces a revision the moment it exists: the newest is loaded, the rest superseded.
      status: revision.number === current ? 'POLICY_STATUS_LOADED' : 'POLICY_STATUS_SUPERSEDED',
      ...timeField(gen, 'created_at_ms', 'created_time', revision.time),
      ...timeField(gen, 'loaded_at_ms', 'loaded_time', revision.time),
      provenance: { cause: revision.cause, detail: revision.detail },
      ...(withPolicy ? { policy: policyToProto(parseYaml(revision.yaml), gen) } : {}),
    };
  }

  private logMessage(s: ServedSandbox, line: LogLine): Wire {
    return {
      sandbox_id: s.id,
      ...timeField(this.generation, 'timestamp_ms', 'event_time', line.time),
      level: line.source === 'ocsf' ? 'OCSF' : line.level.toUpperCase(),
      target: line.source,
      message: line.message,
      source: 'sandbox',
      fields: {},
    };
  }

  private async updateConfig(r: Wire, call: grpc.ServerUnaryCall<Wire, Wire>): Promise<Wire> {
    const gen = this.generation;
    const ops = list(r, 'merge_operations');
    const key = str(r, 'setting_key');
    const given = [isWire(r.policy) ? 'policy' : '', key ? 'setting_key' : '', ops.length ? 'merge_operations' : ''].filter(Boolean);
    if (given.length > 1)
      throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'policy, setting_key, and merge_operations are mutually exclusive');
    if (given.length === 0)
      throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'one of policy, setting_key, or merge_operations must be provided');
    if (key) {
      const sandbox = r.global === true ? undefined : this.byName(sandboxNameOf(gen, r), workspaceOf(gen, r)).name;
      if (r.delete_setting === true) {
        const { revision, deleted } = this.settings.delete(sandbox, key);
        return { version: 0, policy_hash: '', settings_revision: String(revision), deleted, annotations: {} };
      }
      const value = settingFromWire(isWire(r.setting_value) ? r.setting_value : undefined);
      if (value.kind === 'unset') throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'setting_value is required (or delete_setting)');
      const revision = this.settings.set(sandbox, key, value);
      return { version: 0, policy_hash: '', settings_revision: String(revision), deleted: false, annotations: {} };
    }
    if (r.global === true)
      throw new GrpcStatusError(
        grpc.status.FAILED_PRECONDITION,
        'the embedded core has no global policy scope; update the sandbox by name',
      );
    const s = this.byName(sandboxNameOf(gen, r), workspaceOf(gen, r));
    if (!ops.length)
      throw new GrpcStatusError(
        grpc.status.UNIMPLEMENTED,
        'the embedded core takes merge_operations only (its baseline comes from --policy and presets)',
      );
    const expected = num(r, 'expected_resource_version');
    if (expected !== 0 && expected !== s.core.revision.number)
      throw new GrpcStatusError(
        grpc.status.ABORTED,
        `update failed due to concurrent modification (current resource_version: ${s.core.revision.number})`,
      );
    const decoded = mergeOperationsFromProto(ops, gen);
    for (const target of decoded.targets) checkL7Target(s.core.effective.policy.network_policies, target);
    const { revision } = await s.merges.apply(decoded.operations, actor(call));
    return { version: revision.number, policy_hash: revision.sha256, settings_revision: '0', deleted: false, annotations: {} };
  }

  private approveAll(s: ServedSandbox, r: Wire, by: string): Wire {
    const pending = s.core.listRequests().filter((q) => chunkStatus(q) === 'pending');
    if (pending.length === 0) throw new GrpcStatusError(grpc.status.FAILED_PRECONDITION, 'no pending chunks to approve');
    const approvals = list(r, 'approvals').map((a) => ({ chunk_id: str(a, 'chunk_id'), review_token: str(a, 'review_token') }));
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
      const flagged = securityNotes(entry) !== '' && r.include_security_flagged !== true;
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

  /** Snapshot first, then the log tail (or what follows the resume cursor), then live events. */
  private watch(call: grpc.ServerWritableStream<Wire, Wire>): void {
    const gen = this.generation;
    const r = call.request;
    let s: ServedSandbox;
    let resumeAfter: number | undefined;
    const runtimeOf = (sb: ServedSandbox) => this.runtimeOf(sb);
    try {
      requireBearer(call.metadata, this.options.token);
      s = gen === 'current' ? this.byName(sandboxNameOf(gen, r), workspaceOf(gen, r)) : this.byId(str(r, 'id'), 'id');
      const cursor = str(r, 'resume_after_cursor');
      if (gen === 'current' && cursor) {
        const buffered = s.core.logs.since(0);
        const newest = buffered.at(-1)?.seq ?? 0;
        resumeAfter = runtimeOf(s).cursors.resumeAfter(cursor, buffered[0]?.seq ?? 0, newest);
      }
    } catch (error) {
      // grpc-js sends a stream's status from its 'error' event (destroy would drop the call silently).
      call.emit('error', toServiceError(error));
      return;
    }
    const cursors = runtimeOf(s).cursors;
    const keep = logFilter(r.log_sources, r.log_min_level);
    const since = gen === 'current' ? timeOf(r, 'since_time') : num(r, 'log_since_ms');
    let backlog = 0;
    let closed = false;
    const send = (event: Wire) => {
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
    const sendLog = (line: LogLine) =>
      send({ log: this.logMessage(s, line), ...(gen === 'current' ? { cursor: cursors.cursor(line.seq) } : {}) });
    call.on('drain', () => (backlog = 0));
    send({ sandbox: this.sandboxMessage(s) });
    if (r.follow_logs) {
      const replay =
        resumeAfter !== undefined ? s.core.logs.since(resumeAfter) : s.core.logs.since(0).slice(-(num(r, 'log_tail_lines') || 200));
      for (const line of replay) if (line.time >= since && keep(line)) sendLog(line);
    }
    const onRequest = (q: PendingRequest) => {
      const pending = s.core.listRequests().filter((x) => chunkStatus(x) === 'pending').length;
      send({
        draft_policy_update: {
          draft_version: String(runtimeOf(s).draftVersion),
          new_chunks: q.hits === 1 ? 1 : 0,
          total_pending: pending,
          summary: `${q.id} ${generatedRuleName(q.host, q.port)} ${chunkStatus(q)}`,
        },
      });
    };
    const unwatch = watchCore(s.core, (change) => {
      if (change.type === 'log') r.follow_logs && keep(change.line) && sendLog(change.line);
      else if (change.type === 'revision') r.follow_status && send({ sandbox: this.sandboxMessage(s) });
      else onRequest(change.request);
    });
    this.detach.add(unwatch);
    const stop = () => {
      closed = true;
      unwatch();
      this.detach.delete(unwatch);
    };
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop);
  }
}

function timeOf(r: Wire, field: string): number {
  const ts = obj(r, field);
  return num(ts, 'seconds') * 1000 + Math.floor(num(ts, 'nanos') / 1e6);
}

function requireToken(entry: PendingRequest, s: ServedSandbox, supplied: string): void {
  if (supplied !== reviewToken(entry, s.core.revision.sha256))
    throw new GrpcStatusError(
      grpc.status.FAILED_PRECONDITION,
      'review token does not match the fetched proposal; refetch and review again',
    );
}

function actor(call: grpc.ServerUnaryCall<Wire, Wire>): string {
  return `grpc ${call.getPeer()}`;
}

/** Upstream's filters: sources ("gateway" | "sandbox"; ours are all sandbox lines) and a minimum level. */
function logFilter(sources: unknown, minLevel: unknown): (line: LogLine) => boolean {
  const wanted = Array.isArray(sources) ? sources.filter((x): x is string => typeof x === 'string') : [];
  const min = typeof minLevel === 'string' && minLevel ? (LEVEL_RANK[minLevel.toUpperCase()] ?? 5) : 5;
  const sandboxWanted = wanted.length === 0 || wanted.includes('sandbox');
  return (line) => sandboxWanted && (LEVEL_RANK[line.level.toUpperCase()] ?? 5) <= min;
}

function draftHistory(requests: PendingRequest[], gen: ServedGeneration): Wire[] {
  const entries = requests.flatMap((q) => {
    const rule = generatedRuleName(q.host, q.port);
    const proposed = { at: q.firstSeen, event_type: 'proposed', description: `Rule '${rule}' proposed`, chunk_id: q.id };
    const status = chunkStatus(q);
    return status !== 'pending' && q.decidedAt
      ? [proposed, { at: q.decidedAt, event_type: status, description: `Rule '${rule}' ${status}`, chunk_id: q.id }]
      : [proposed];
  });
  return entries.sort((a, b) => a.at - b.at).map(({ at, ...e }) => ({ ...e, ...timeField(gen, 'timestamp_ms', 'event_time', at) }));
}

function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  if (error instanceof GrpcStatusError) return { code: error.code, details: error.message, message: error.message };
  if (error instanceof MergeError) return { code: grpc.status.INVALID_ARGUMENT, details: error.message, message: error.message };
  // The core refuses a decision that does not fit the request's state: the caller should refetch.
  if (error instanceof CoreError) return { code: grpc.status.FAILED_PRECONDITION, details: error.message, message: error.message };
  const message = (error as Error)?.message ?? String(error);
  return { code: grpc.status.INTERNAL, details: message, message };
}
