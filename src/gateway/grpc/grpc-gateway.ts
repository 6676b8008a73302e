// Gateway mode: the console's Gateway over openshell.v1. One inbox across every sandbox of the
// gateway (the draft chunks), logs and status streamed per sandbox (WatchSandbox), drafts refetched
// when a stream says something changed and polled as a safety net (upstream never streams drafts).
// Nothing here runs on the console's input path: every call is async and failures turn into a
// "disconnected, retrying in N s" state, then a full resync that replaces the inbox (no duplicates).
import type { ClientReadableStream } from '@grpc/grpc-js';
import { status as grpcStatus } from '@grpc/grpc-js';
import { stringify } from 'yaml';
import type { LogLevel, LogLine } from '../../core/engine/log-buffer.js';
import type { PendingRequest, L7Sample } from '../../core/inbox/pending-request.js';
import type { MergeOperation } from '../../core/policy/merge-operations.js';
import type { PresetDocument } from '../../core/policy/types.js';
import { presetFromRequest } from '../../core/presets/promote.js';
import type { PresetStore } from '../../core/presets/preset-store.js';
import { presetsForTier } from '../../core/presets/tiers.js';
import type {
  ConnectionState,
  Gateway,
  GatewayCapabilities,
  GatewayEvent,
  GatewayInfo,
  InboxRequest,
  Lifetime,
  PolicyView,
  PresetSummary,
  PromoteRequest,
  ProviderInfo,
  RevisionInfo,
  SandboxInfo,
} from '../gateway.js';
import { SEEN_PREFIX } from './draft-chunk.js';
import { addPresetOperations, livePolicyKeys, mergeIntoSandbox, presetApplied, removePresetOperations } from './remote-policy.js';
import { describeGrpcError, type Message, type OpenShellRpc } from './openshell-client.js';
import { policyFromProto, ruleFromProto } from './policy-codec.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { forEachLimited } from './for-each-limited.js';

export interface GrpcGatewayOptions {
  rpc: OpenShellRpc;
  workspace?: string;
  /** Local presets: built-ins, and where promote writes custom ones (NemoClaw format). */
  presets: PresetStore;
  /** Safety-net poll of sandboxes and drafts (ms). Upstream's TUI polls every 2 s. */
  pollMs?: number;
  /** How many sandboxes' drafts are fetched at once. */
  concurrency?: number;
}

interface SandboxState {
  id: string;
  name: string;
  info: SandboxInfo;
  stream?: ClientReadableStream<Message>;
  /** Chunks as last fetched (their review tokens are what a decision must carry). */
  chunks: Map<string, Message>;
  /** The latest draft fetch (settled or in flight), and the one queued behind it (see refresh). */
  running?: Promise<void>;
  queued?: Promise<void>;
  lastLogTime: number;
}

const MAX_RECENT_LOGS = 5000;
/** Draft fetches in flight at once across a gateway's sandboxes. */
export const DEFAULT_CONCURRENCY = 16;
const LEVELS: Record<string, LogLevel> = { ERROR: 'error', WARN: 'warn', INFO: 'info', OCSF: 'info', DEBUG: 'debug', TRACE: 'debug' };

export class GrpcGateway implements Gateway {
  readonly info: GatewayInfo;
  /** An approval here is a policy revision (no lifetimes); presets are local files merged into the sandbox. */
  readonly capabilities: GatewayCapabilities = {
    lifetimes: [],
    promote: true,
    promoteDryRun: false,
    presets: true,
    tiers: true,
    providers: true,
    workspaces: false,
    settings: false,
    draftHistory: false,
  };
  private readonly listeners = new Set<(event: GatewayEvent) => void>();
  private readonly sandboxes = new Map<string, SandboxState>();
  private readonly backoff = new ReconnectBackoff();
  private readonly workspace: string;
  private readonly concurrency: number;
  private running = false;
  private generation = 0;
  private retryTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private logSeq = 0;
  /** Recent log lines, so a resync's snapshot keeps what the operator was reading. */
  private readonly recentLogs: LogLine[] = [];
  /** Streams we ended ourselves: their CANCELLED error or end is not a failure. */
  private readonly cancelled = new WeakSet<ClientReadableStream<Message>>();

  constructor(private readonly options: GrpcGatewayOptions) {
    const { connection } = options.rpc;
    this.workspace = options.workspace ?? '';
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.info = { name: connection.name, mode: 'remote', endpoint: connection.endpoint, version: '…' };
  }

  subscribe(listener: (event: GatewayEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Returns at once: connecting happens in the background, its progress is reported as events. */
  async start(): Promise<void> {
    this.running = true;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    clearTimeout(this.retryTimer);
    clearInterval(this.pollTimer);
    for (const s of this.sandboxes.values()) this.cancel(s);
    this.options.rpc.close();
  }

  // ---- connection lifecycle -------------------------------------------------------------------

  private emit(event: GatewayEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private setState(state: ConnectionState): void {
    this.emit({ type: 'connection', state });
  }

  /** Full sync: health, sandboxes, every sandbox's drafts; then streams. The snapshot replaces the inbox. */
  private async connect(): Promise<void> {
    const generation = ++this.generation;
    this.setState({ status: 'connecting' });
    try {
      await this.options.rpc.ready();
      const health = await this.options.rpc.call('Health', {});
      this.info.version = health.version || '?';
      const listed = await this.listSandboxes();
      for (const s of this.sandboxes.values()) this.cancel(s);
      this.sandboxes.clear();
      for (const sb of listed) this.sandboxes.set(sb.name, sb);
      await forEachLimited([...this.sandboxes.values()], this.concurrency, (s) => this.fetchChunks(s));
      if (generation !== this.generation) return;
      const requests = [...this.sandboxes.values()].flatMap((s) => [...s.chunks.values()].map((c) => toInboxRequest(s.name, c)));
      const first = [...this.sandboxes.values()][0];
      const revision: RevisionInfo = {
        number: first?.info.policyRevision ?? 0,
        sha256: '',
        time: Date.now(),
        cause: 'gateway',
        detail: '',
      };
      this.setState({ status: 'connected' });
      this.emit({ type: 'snapshot', requests, revision, logs: [...this.recentLogs], sandboxes: this.sandboxInfos() });
      this.backoff.reset();
      for (const s of this.sandboxes.values()) this.watch(s, generation);
      clearInterval(this.pollTimer);
      this.pollTimer = setInterval(() => void this.poll(generation), this.options.pollMs ?? 2000);
      this.pollTimer.unref();
    } catch (error) {
      this.fail(generation, error);
    }
  }

  /** Any failure: drop streams, say so, and resync after a backoff with jitter. */
  private fail(generation: number, error: unknown): void {
    if (!this.running || generation !== this.generation) return;
    this.generation++;
    clearInterval(this.pollTimer);
    for (const s of this.sandboxes.values()) this.cancel(s);
    const delay = this.backoff.next();
    this.setState({ status: 'disconnected', error: describeGrpcError(error), retryAt: Date.now() + delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private async listSandboxes(): Promise<SandboxState[]> {
    const out: SandboxState[] = [];
    // Offset paging as upstream (no page token): ask for pages until one comes back short.
    for (let offset = 0; ; offset += 100) {
      const page = await this.options.rpc.call('ListSandboxes', { limit: 100, offset, workspace: this.workspace });
      for (const sb of page.sandboxes ?? []) {
        const name = sb.metadata?.name ?? '';
        const known = this.sandboxes.get(name);
        out.push({
          id: sb.metadata?.id ?? '',
          name,
          info: sandboxInfo(sb),
          chunks: known?.chunks ?? new Map(),
          lastLogTime: known?.lastLogTime ?? 0,
          stream: known?.stream,
        });
      }
      if ((page.sandboxes ?? []).length < 100) return out;
    }
  }

  private sandboxInfos(): SandboxInfo[] {
    return [...this.sandboxes.values()].map((s) => ({
      ...s.info,
      pending: [...s.chunks.values()].filter((c) => c.status === 'pending').length,
    }));
  }

  /** Snapshot, log tail (only what is newer than we have), then live events; a change triggers a draft refetch. */
  private watch(s: SandboxState, generation: number): void {
    const stream = this.options.rpc.stream('WatchSandbox', {
      id: s.id,
      follow_status: true,
      follow_logs: true,
      log_tail_lines: 200,
      log_since_ms: String(s.lastLogTime ? s.lastLogTime + 1 : 0),
    });
    s.stream = stream;
    stream.on('data', (event: Message) => {
      if (generation !== this.generation) return;
      if (event.sandbox) {
        const before = s.info.policyRevision;
        s.info = { ...sandboxInfo(event.sandbox), pending: s.info.pending };
        if (s.info.policyRevision !== before)
          this.emit({
            type: 'revision',
            sandbox: s.name,
            revision: { number: s.info.policyRevision, sha256: '', time: Date.now(), cause: 'gateway', detail: '' },
          });
        void this.refresh(s).catch(() => undefined);
      } else if (event.draft_policy_update) {
        void this.refresh(s).catch(() => undefined);
      } else if (event.log) {
        const line = toLogLine(event.log, s.name, ++this.logSeq);
        if (line.time >= s.lastLogTime) s.lastLogTime = line.time;
        this.recentLogs.push(line);
        if (this.recentLogs.length > MAX_RECENT_LOGS) this.recentLogs.splice(0, this.recentLogs.length - MAX_RECENT_LOGS);
        this.emit({ type: 'log', line });
      }
    });
    stream.on('error', (error: { code?: number }) => {
      if (this.cancelled.has(stream)) return;
      this.fail(generation, error);
    });
    stream.on('end', () => {
      if (!this.cancelled.has(stream)) this.fail(generation, new Error(`the gateway ended the watch of ${s.name}`));
    });
  }

  private async poll(generation: number): Promise<void> {
    try {
      const listed = await this.listSandboxes();
      if (generation !== this.generation) return;
      const names = new Set(listed.map((s) => s.name));
      const added = listed.filter((s) => !this.sandboxes.has(s.name));
      const removed = [...this.sandboxes.keys()].filter((n) => !names.has(n));
      for (const n of removed) {
        const gone = this.sandboxes.get(n)!;
        this.cancel(gone);
        this.sandboxes.delete(n);
        if (gone.chunks.size > 0) this.emit({ type: 'removed', ids: [...gone.chunks.keys()].map((id) => `${n}/${id}`) });
      }
      for (const s of added) this.sandboxes.set(s.name, s), this.watch(s, generation);
      if (added.length || removed.length) this.emit({ type: 'sandboxes', sandboxes: this.sandboxInfos() });
      await forEachLimited([...this.sandboxes.values()], this.concurrency, (s) => this.refresh(s));
    } catch (error) {
      this.fail(generation, error);
    }
  }

  // ---- drafts ---------------------------------------------------------------------------------

  private async fetchChunks(s: SandboxState): Promise<Message[]> {
    const response = await this.options.rpc.call('GetDraftPolicy', { name: s.name, status_filter: '', workspace: this.workspace });
    const chunks: Message[] = response.chunks ?? [];
    s.chunks = new Map(chunks.map((c) => [c.id, c]));
    return chunks;
  }

  /**
   * Every path that needs a sandbox's drafts again (a stream notice, the poll, a decision) comes here:
   * at most one fetch in flight per sandbox and one queued behind it, which every caller arriving
   * meanwhile shares — a fetch that starts after the change is enough for all of them.
   */
  private refresh(s: SandboxState): Promise<void> {
    if (s.queued) return s.queued;
    const after = s.running?.catch(() => undefined) ?? Promise.resolve();
    s.queued = after.then(() => {
      s.queued = undefined;
      s.running = this.refetch(s);
      return s.running;
    });
    return s.queued;
  }

  private cancel(s: SandboxState): void {
    if (!s.stream) return;
    this.cancelled.add(s.stream);
    s.stream.cancel();
  }

  /** Fetches a sandbox's drafts and emits only the chunks that changed (and which are gone: cleared). */
  private async refetch(s: SandboxState): Promise<void> {
    const before = s.chunks;
    const chunks = await this.fetchChunks(s);
    const gone = [...before.keys()].filter((id) => !s.chunks.has(id));
    if (gone.length > 0) this.emit({ type: 'removed', ids: gone.map((id) => `${s.name}/${id}`) });
    let changed = gone.length > 0;
    for (const c of chunks) {
      const old = before.get(c.id);
      if (
        old &&
        old.status === c.status &&
        old.hit_count === c.hit_count &&
        old.last_seen_ms === c.last_seen_ms &&
        old.review_token === c.review_token
      )
        continue;
      changed = true;
      this.emit({ type: 'request', request: toInboxRequest(s.name, c) });
    }
    if (changed) this.emit({ type: 'sandboxes', sandboxes: this.sandboxInfos() });
  }

  private locate(id: string): { s: SandboxState; chunk: Message } {
    const slash = id.indexOf('/');
    const s = slash > 0 ? this.sandboxes.get(id.slice(0, slash)) : undefined;
    const chunk = s?.chunks.get(id.slice(slash + 1));
    if (!s || !chunk) throw new Error(`no request with id '${id}'`);
    return { s, chunk };
  }

  private sandbox(name?: string): SandboxState {
    const s = name ? this.sandboxes.get(name) : [...this.sandboxes.values()][0];
    if (!s) throw new Error(name ? `no sandbox '${name}' on ${this.info.name}` : `${this.info.name} has no sandboxes`);
    return s;
  }

  /** A decision, then an immediate refetch: the next decision must carry the fresh review token. */
  private async decide(s: SandboxState, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if ((error as { code?: number }).code === grpcStatus.FAILED_PRECONDITION) await this.refresh(s).catch(() => undefined);
      throw new Error(describeGrpcError(error));
    }
    await this.refresh(s);
  }

  async approve(id: string, _lifetime: Lifetime): Promise<void> {
    // A gateway approval is a policy revision: there is no lifetime to give it.
    const { s, chunk } = this.locate(id);
    await this.decide(s, () =>
      this.options.rpc.call('ApproveDraftChunk', {
        name: s.name,
        chunk_id: chunk.id,
        review_token: chunk.review_token ?? '',
        workspace: this.workspace,
      }),
    );
  }

  async reject(id: string, reason?: string): Promise<void> {
    const { s, chunk } = this.locate(id);
    await this.decide(s, () =>
      this.options.rpc.call('RejectDraftChunk', { name: s.name, chunk_id: chunk.id, reason: reason ?? '', workspace: this.workspace }),
    );
  }

  async approveAll(ids: string[], _lifetime: Lifetime): Promise<void> {
    const bySandbox = new Map<SandboxState, Message[]>();
    for (const id of ids) {
      const { s, chunk } = this.locate(id);
      bySandbox.set(s, [...(bySandbox.get(s) ?? []), { chunk_id: chunk.id, review_token: chunk.review_token ?? '' }]);
    }
    const skipped: string[] = [];
    for (const [s, approvals] of bySandbox) {
      await this.decide(s, async () => {
        const r = await this.options.rpc.call(
          'ApproveAllDraftChunks',
          { name: s.name, approvals, include_security_flagged: true, workspace: this.workspace },
          30_000,
        );
        if (r.chunks_skipped) skipped.push(`${s.name}: ${r.chunks_skipped} skipped`);
      });
    }
    if (skipped.length) throw new Error(`some were not approved (${skipped.join(', ')}); review them one by one`);
  }

  async undo(id: string): Promise<void> {
    const { s, chunk } = this.locate(id);
    await this.decide(s, () => this.options.rpc.call('UndoDraftChunk', { name: s.name, chunk_id: chunk.id, workspace: this.workspace }));
  }

  // ---- policy, revisions, presets ----------------------------------------------------------------

  async policy(revision?: number, sandbox?: string): Promise<PolicyView> {
    const s = this.sandbox(sandbox);
    let message: Message | undefined;
    let info: RevisionInfo;
    if (revision === undefined) {
      const config = await this.call('GetSandboxConfig', { sandbox_id: s.id });
      message = config.policy;
      info = { number: config.version, sha256: config.policy_hash, time: Date.now(), cause: 'current', detail: '' };
    } else {
      const status = await this.call('GetSandboxPolicyStatus', { name: s.name, version: revision, workspace: this.workspace });
      message = status.revision?.policy;
      info = toRevisionInfo(status.revision ?? {});
    }
    const policy = policyFromProto(message);
    const origins = Object.fromEntries(Object.keys(policy.network_policies).map((k) => [k, this.info.name]));
    return { revision: info, yaml: stringify(policy), origins };
  }

  async revisions(sandbox?: string): Promise<RevisionInfo[]> {
    const s = this.sandbox(sandbox);
    const r = await this.call('ListSandboxPolicies', { name: s.name, limit: 50, workspace: this.workspace });
    return (r.revisions ?? []).map(toRevisionInfo).sort((a: RevisionInfo, b: RevisionInfo) => a.number - b.number);
  }

  async providers(): Promise<ProviderInfo[]> {
    const r = await this.call('ListProviders', { limit: 100, workspace: this.workspace });
    return (r.providers ?? []).map((p: Message) => ({
      name: p.metadata?.name ?? '',
      type: p.type ?? '',
      credentials: Object.keys(p.credentials ?? {}).sort(),
    }));
  }

  /** Presets are local files (built-in and custom); applied means every rule of it is in the live policy. */
  async presets(sandbox?: string): Promise<PresetSummary[]> {
    const live = await this.liveKeys(sandbox);
    return this.options.presets.list().map((p) => ({
      name: p.name,
      source: p.source,
      applied: presetApplied(this.options.presets.get(p.name), live),
      description: p.description,
    }));
  }

  async promote(id: string, request: PromoteRequest): Promise<{ name: string; file: string }> {
    const { s, chunk } = this.locate(id);
    const r = toInboxRequest(s.name, chunk);
    const doc = presetFromRequest({
      host: r.host,
      port: r.port,
      binary: r.binary,
      method: r.samples[0]?.method,
      name: request.name,
      description: request.description,
      access: request.access,
      anyBinary: request.anyBinary,
    });
    // Written locally first (NemoClaw format), then merged into the live policy: never a blind replace.
    const saved = await this.options.presets.saveCustom(doc, {});
    await this.merge(s, addPresetOperations(doc));
    return { name: doc.preset.name, file: saved.file };
  }

  async addPreset(name: string, sandbox?: string): Promise<void> {
    await this.merge(this.sandbox(sandbox), addPresetOperations(this.preset(name)));
  }

  async removePreset(name: string, sandbox?: string): Promise<void> {
    const doc = this.preset(name);
    await this.merge(this.sandbox(sandbox), removePresetOperations(doc));
  }

  async applyTier(tier: string, sandbox?: string): Promise<string[]> {
    const live = await this.liveKeys(sandbox);
    const wanted = presetsForTier(tier).filter((name) => !presetApplied(this.preset(name), live));
    if (wanted.length > 0)
      await this.merge(
        this.sandbox(sandbox),
        wanted.flatMap((name) => addPresetOperations(this.preset(name))),
      );
    return wanted;
  }

  /** UpdateConfig with merge operations; resolves with the new policy version. */
  async merge(s: SandboxState, operations: MergeOperation[]): Promise<{ version: number; hash: string }> {
    let result: { version: number; hash: string };
    try {
      result = await mergeIntoSandbox(this.options.rpc, { name: s.name, workspace: this.workspace }, operations);
    } catch (error) {
      throw new Error(describeGrpcError(error));
    }
    await this.refresh(s).catch(() => undefined);
    return result;
  }

  private preset(name: string): PresetDocument {
    const doc = this.options.presets.get(name);
    if (!doc) throw new Error(`no preset named '${name}'`);
    return doc;
  }

  private async liveKeys(sandbox?: string): Promise<Set<string>> {
    try {
      return await livePolicyKeys(this.options.rpc, this.sandbox(sandbox).id);
    } catch (error) {
      throw new Error(describeGrpcError(error));
    }
  }

  private async call(method: string, request: Message): Promise<Message> {
    try {
      return await this.options.rpc.call(method, request);
    } catch (error) {
      throw new Error(describeGrpcError(error));
    }
  }
}

function sandboxInfo(sb: Message): SandboxInfo {
  const phase = String(sb.status?.phase ?? 'SANDBOX_PHASE_UNKNOWN').replace('SANDBOX_PHASE_', '');
  return {
    name: sb.metadata?.name ?? '',
    phase: phase.charAt(0) + phase.slice(1).toLowerCase(),
    policyRevision: sb.status?.current_policy_version ?? 0,
    pending: 0,
    createdAt: Number(sb.metadata?.created_at_ms ?? 0),
  };
}

function toRevisionInfo(r: Message): RevisionInfo {
  const status = String(r.status ?? '')
    .replace('POLICY_STATUS_', '')
    .toLowerCase();
  const cause = r.provenance?.cause ? `${r.provenance.cause}` : status;
  return {
    number: r.version ?? 0,
    sha256: r.policy_hash ?? '',
    time: Number(r.created_at_ms ?? 0),
    cause,
    detail: [status, r.provenance?.detail, r.load_error].filter(Boolean).join(' · '),
  };
}

/** L7 samples: from the proposed rule's method/path rules (upstream), else our server's "Seen:" list. */
function samplesOf(chunk: Message, rule: ReturnType<typeof ruleFromProto>): L7Sample[] {
  const fromRules = rule.endpoints.flatMap((e) =>
    (e.rules ?? []).filter((r) => r.allow?.method && r.allow?.path).map((r) => ({ method: r.allow.method!, path: r.allow.path! })),
  );
  if (fromRules.length > 0) return fromRules.slice(0, 5);
  const seen = String(chunk.rationale ?? '').split(SEEN_PREFIX)[1];
  if (!seen) return [];
  return seen
    .split(', ')
    .map((pair) => pair.split(' '))
    .filter((p) => p.length === 2)
    .map(([method, path]) => ({ method, path }))
    .slice(0, 5);
}

export function toInboxRequest(sandbox: string, chunk: Message): InboxRequest {
  const rule = ruleFromProto(chunk.proposed_rule);
  const endpoint = rule.endpoints[0] ?? {};
  const status = chunk.status === 'approved' || chunk.status === 'rejected' ? chunk.status : 'pending';
  const request: PendingRequest = {
    id: `${sandbox}/${chunk.id}`,
    host: endpoint.host ?? '',
    port: endpoint.port ?? endpoint.ports?.[0] ?? 0,
    binary: chunk.binary || rule.binaries[0]?.path || 'unknown',
    firstSeen: Number(chunk.first_seen_ms || chunk.created_at_ms || 0),
    lastSeen: Number(chunk.last_seen_ms || chunk.created_at_ms || 0),
    hits: chunk.hit_count || 1,
    samples: samplesOf(chunk, rule),
    status,
    held: 0,
    reason: String(chunk.rationale ?? '').split(SEEN_PREFIX)[0],
    ...(Number(chunk.decided_at_ms) ? { decidedAt: Number(chunk.decided_at_ms) } : {}),
    ...(chunk.rejection_reason ? { decisionNote: chunk.rejection_reason } : {}),
  };
  return {
    ...request,
    sandbox,
    proposal: {
      ruleName: chunk.rule_name ?? '',
      rule,
      securityNotes: chunk.security_notes ?? '',
      validationResult: chunk.validation_result ?? '',
      applicationError: chunk.application_error ?? '',
    },
  };
}

function toLogLine(log: Message, sandbox: string, seq: number): LogLine {
  return {
    seq,
    time: Number(log.timestamp_ms ?? Date.now()),
    level: LEVELS[String(log.level).toUpperCase()] ?? 'info',
    source: `${sandbox}/${log.target || log.source || 'log'}`,
    message: String(log.message ?? ''),
  };
}
