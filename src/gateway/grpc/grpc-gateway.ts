// Gateway mode: the console's Gateway over an OpenShell gateway's gRPC API, whichever generation it
// speaks (protocol-probe.ts finds out; protocol.ts is all this file sees). One inbox across every
// sandbox of the selected workspace (or all of them): the draft chunks, plus denials seen on the watch
// stream before their chunk exists ("awaiting proposal", upgraded in place when it arrives). Logs and
// status stream per sandbox (WatchSandbox, resumed by cursor after a reconnect on 0.1.x), drafts are
// refetched when a stream says something changed and polled as a safety net (upstream never streams
// drafts). Every decision carries a request_id that stays the same across retries, so a retry after a
// dropped connection can never apply twice. Nothing here runs on the console's input path: failures
// become "disconnected, retry in N s", then a full resync that replaces the inbox (no duplicates).
import { randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import type { LogLine } from '../../core/engine/log-buffer.js';
import type { L7Sample, PendingRequest } from '../../core/inbox/pending-request.js';
import type { MergeOperation } from '../../core/policy/merge-operations.js';
import type { PresetDocument } from '../../core/policy/types.js';
import { presetFromRequest } from '../../core/presets/promote.js';
import type { PresetStore } from '../../core/presets/preset-store.js';
import { presetsForTier } from '../../core/presets/tiers.js';
import type {
  ApprovePreview,
  ConnectionState,
  Gateway,
  GatewayCapabilities,
  GatewayEvent,
  GatewayInfo,
  InboxRequest,
  Lifetime,
  PolicyView,
  PresetSummary,
  PromoteOrder,
  PromoteOutcome,
  ApproveAllOutcome,
  ApproveOptions,
  ProviderInfo,
  RevisionInfo,
  SandboxInfo,
} from '../gateway.js';
import type { SandboxMetadata, SettingRow } from '../operator-views.js';
import { type ChunkNarrowing, narrowRule } from './chunk-edits.js';
import { parseDenial, sameProcess, type StreamDenial } from './denial-lines.js';
import { SEEN_PREFIX } from './draft-chunk.js';
import { forEachLimited } from './for-each-limited.js';
import { describeError, GatewayError, grpcCodeOf, outcomeUncertain, toGatewayError } from './grpc-errors.js';
import type { OpenShellRpc } from './openshell-client.js';
import { probeProtocol } from './protocol-probe.js';
import type { GatewayProtocol, WatchHandle } from './protocol.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import type {
  DraftHistoryEntry,
  PolicyScope,
  RemoteChunk,
  RemoteConfig,
  RemoteProvider,
  RemoteRevision,
  RemoteSandbox,
  RemoteWorkspace,
  SandboxRef,
  WatchEvent,
  WorkspaceScope,
} from './remote-model.js';
import { addPresetOperations, presetApplied, removePresetOperations } from './remote-policy.js';
import { parseSetting, settingSchema } from './setting-values.js';
import { logLevel } from './wire-decode.js';

/** Draft fetches in flight at once across a gateway's sandboxes. */
export const DEFAULT_CONCURRENCY = 16;

export interface GrpcGatewayOptions {
  rpc: OpenShellRpc;
  /** A workspace name, or '*' for all of them; default "default" (0.1.x no longer assumes it). */
  workspace?: string;
  /** Local presets: built-ins, and where promote writes custom ones (NemoClaw format). */
  presets: PresetStore;
  /** Safety-net poll of sandboxes and drafts (ms). Upstream's TUI polls every 2 s. */
  pollMs?: number;
  /** How many sandboxes' drafts are fetched at once. */
  concurrency?: number;
}

/** Events the console does not consume as such (a gap is also said as a log line). */
export type GatewayExtraEvent = { type: 'stream-gap'; sandbox: string; message: string; at: number };

interface SandboxState {
  key: string;
  ref: SandboxRef;
  remote: RemoteSandbox;
  info: SandboxInfo;
  watch?: WatchHandle;
  /** Greatest cursor processed on this sandbox's stream (0.1.x); '' before the first or after OUT_OF_RANGE. */
  cursor: string;
  lastLogTime: number;
  /** Chunks as last fetched (their review tokens are what a decision must carry). */
  chunks: Map<string, RemoteChunk>;
  /** chunk id → the inbox id it was upgraded from (a denial shown before its chunk existed). */
  aliases: Map<string, string>;
  /** Denials waiting for their chunk, by inbox id. */
  awaiting: Map<string, { key: string; denial: StreamDenial; request: InboxRequest }>;
  running?: Promise<void>;
  queued?: Promise<void>;
  /** Whose policy is in force, as last read (GetSandboxConfig), and when. */
  policySource?: { source: RemoteConfig['policySource']; globalVersion: number; at: number };
}

const MAX_RECENT_LOGS = 5000;
const WATCH_TAIL = 200;
const OUT_OF_RANGE = 11;
const INVALID_ARGUMENT = 3;
const MAX_DECISION_ATTEMPTS = 4;
/** How long a decision on a denial waits for the gateway's proposal for it. */
const PROPOSAL_WAIT_MS = 10_000;
/** How long a read of the sandbox's policy source stands in for a fresh one before a decision. */
const POLICY_SOURCE_TTL_MS = 5_000;
/** How often the poll re-reads whose policy is in force for sandboxes with something to decide. */
const POLICY_SOURCE_POLL_MS = 10_000;

export class GrpcGateway implements Gateway {
  readonly info: GatewayInfo;
  /** An approval here is a policy revision (no lifetimes); presets are local files merged into the sandbox. */
  readonly capabilities: GatewayCapabilities = {
    lifetimes: [],
    promote: true,
    promoteDryRun: false,
    // A chunk does not say whether its request was a tunnel: there is none to keep blind.
    promoteTls: false,
    presets: true,
    tiers: true,
    providers: true,
    workspaces: true,
    settings: true,
    draftHistory: true,
    sandboxMetadata: true,
    reapprove: true,
    editChunk: true,
    clearDrafts: true,
  };
  private readonly listeners = new Set<(event: GatewayEvent) => void>();
  private readonly extraListeners = new Set<(event: GatewayExtraEvent) => void>();
  private readonly sandboxes = new Map<string, SandboxState>();
  private readonly backoff = new ReconnectBackoff();
  private scope: WorkspaceScope;
  private readonly concurrency: number;
  private protocolImpl?: GatewayProtocol;
  private running = false;
  private generation = 0;
  private retryTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private logSeq = 0;
  private denialSeq = 0;
  private readonly recentLogs: LogLine[] = [];
  /** Stream positions of sandboxes listed before a workspace switch, by workspace and name. */
  private readonly positions = new Map<string, { cursor: string; lastLogTime: number }>();

  constructor(private readonly options: GrpcGatewayOptions) {
    const { connection } = options.rpc;
    this.scope = scopeOf(options.workspace);
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.info = { name: connection.name, mode: 'remote', endpoint: connection.endpoint, version: '…' };
  }

  subscribe(listener: (event: GatewayEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribeExtras(listener: (event: GatewayExtraEvent) => void): () => void {
    this.extraListeners.add(listener);
    return () => this.extraListeners.delete(listener);
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
    for (const s of this.sandboxes.values()) s.watch?.cancel();
    this.options.rpc.close();
  }

  /** The workspace shown ('*' for all). */
  get workspace(): string {
    return 'all' in this.scope ? '*' : this.scope.workspace;
  }

  private get protocol(): GatewayProtocol {
    if (!this.protocolImpl) throw new GatewayError('unavailable', `${this.info.name} is not connected yet`);
    return this.protocolImpl;
  }

  // ---- connection lifecycle -------------------------------------------------------------------

  private emit(event: GatewayEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private emitExtra(event: GatewayExtraEvent): void {
    for (const listener of this.extraListeners) listener(event);
  }

  private setState(state: ConnectionState): void {
    this.emit({ type: 'connection', state });
  }

  /** Full sync: probe, sandboxes, every sandbox's drafts; then streams. The snapshot replaces the inbox. */
  private async connect(): Promise<void> {
    const generation = ++this.generation;
    this.setState({ status: 'connecting' });
    try {
      await this.options.rpc.refresh();
      await this.options.rpc.ready();
      const { protocol, version } = await probeProtocol(this.options.rpc, this.info.endpoint);
      this.protocolImpl = protocol;
      this.info.version = version || '?';
      this.info.protocol = protocol.info.label;
      const listed = await this.listSandboxes();
      for (const s of this.sandboxes.values()) s.watch?.cancel();
      this.sandboxes.clear();
      for (const sb of listed) {
        // The snapshot replaces the inbox: denials waiting for a chunk, and which chunk answered which,
        // start over (a restarted gateway may reuse chunk ids for other requests).
        sb.aliases.clear();
        sb.awaiting.clear();
        this.sandboxes.set(sb.key, sb);
      }
      await forEachLimited([...this.sandboxes.values()], this.concurrency, (s) => this.fetchChunks(s));
      if (generation !== this.generation) return;
      const requests = [...this.sandboxes.values()].flatMap((s) => this.inboxOf(s));
      const first = [...this.sandboxes.values()][0];
      const revision: RevisionInfo = {
        number: first?.info.policyRevision ?? 0,
        sha256: '',
        time: Date.now(),
        cause: 'gateway',
        detail: '',
      };
      this.setState({ status: 'connected' });
      this.emit({
        type: 'snapshot',
        requests,
        revision,
        logs: [...this.recentLogs],
        sandboxes: this.sandboxInfos(),
        workspace: this.workspace,
      });
      this.backoff.reset();
      for (const s of this.sandboxes.values()) this.watch(s, generation);
      void this.readPolicySources(generation);
      clearInterval(this.pollTimer);
      this.pollTimer = setInterval(() => void this.poll(generation), this.options.pollMs ?? 2000);
      this.pollTimer.unref();
    } catch (error) {
      this.fail(generation, error);
    }
  }

  /** Any failure: drop streams, say so, and resync after a backoff with jitter. Cursors are kept. */
  private fail(generation: number, error: unknown): void {
    if (!this.running || generation !== this.generation) return;
    this.generation++;
    clearInterval(this.pollTimer);
    for (const s of this.sandboxes.values()) s.watch?.cancel();
    const delay = this.backoff.next();
    this.setState({ status: 'disconnected', error: describeError(error), retryAt: Date.now() + delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private sandboxKey(ref: SandboxRef): string {
    return 'all' in this.scope ? `${ref.workspace}:${ref.name}` : ref.name;
  }

  private async listSandboxes(): Promise<SandboxState[]> {
    return (await this.protocol.listSandboxes(this.scope)).map((remote) => {
      const key = this.sandboxKey(remote.ref);
      const known = this.sandboxes.get(key);
      const carried = known ? undefined : this.positions.get(refKey(remote.ref));
      return {
        key,
        ref: remote.ref,
        remote,
        info: toSandboxInfo(key, remote),
        chunks: known?.chunks ?? new Map(),
        aliases: known?.aliases ?? new Map(),
        awaiting: known?.awaiting ?? new Map(),
        cursor: known?.cursor ?? carried?.cursor ?? '',
        lastLogTime: known?.lastLogTime ?? carried?.lastLogTime ?? 0,
        watch: known?.watch,
      };
    });
  }

  private sandboxInfos(): SandboxInfo[] {
    return [...this.sandboxes.values()].map((s) => ({
      ...s.info,
      pending: [...s.chunks.values()].filter((c) => c.status === 'pending').length + s.awaiting.size,
      ...(s.policySource?.source === 'global' ? { globalPolicy: s.policySource.globalVersion } : {}),
    }));
  }

  /**
   * Whose policy is in force matters only where there is something to decide: those sandboxes' configs
   * are read in the background (after a resync, then at most every POLICY_SOURCE_POLL_MS), so the inbox
   * says a global policy blocks approvals before anyone presses a key, as upstream's console does.
   */
  private async readPolicySources(generation: number): Promise<void> {
    const due = [...this.sandboxes.values()].filter(
      (s) =>
        (s.awaiting.size > 0 || [...s.chunks.values()].some((c) => c.status === 'pending')) &&
        (!s.policySource || Date.now() - s.policySource.at >= POLICY_SOURCE_POLL_MS),
    );
    await forEachLimited(due, this.concurrency, async (s) => {
      if (generation === this.generation) await this.config(s).catch(() => undefined);
    });
  }

  /** Snapshot, then the log tail (or exactly what follows our cursor), then live events. */
  private watch(s: SandboxState, generation: number): void {
    s.watch?.cancel();
    const resumedFrom = s.cursor;
    s.watch = this.protocol.watch(
      s.ref,
      { cursor: s.cursor || undefined, tailLines: WATCH_TAIL, sinceMs: s.lastLogTime ? s.lastLogTime + 1 : undefined },
      {
        event: (event) => generation === this.generation && this.onWatchEvent(s, event),
        error: (error) => {
          if (generation !== this.generation) return;
          const code = grpcCodeOf(error);
          if (resumedFrom && (code === OUT_OF_RANGE || code === INVALID_ARGUMENT)) {
            // The gateway no longer has our position (restarted, trimmed, another replica): start over
            // without it, as upstream says, and tell the operator that lines in between may be missing.
            s.cursor = '';
            this.gap(
              s,
              `the gateway no longer has this stream's position (${error.message}); restarted without it — log lines in between may be missing`,
            );
            this.watch(s, generation);
            return;
          }
          this.fail(generation, error);
        },
        end: () => generation === this.generation && this.fail(generation, new Error(`the gateway ended the watch of ${s.key}`)),
      },
    );
  }

  private gap(s: SandboxState, message: string): void {
    const at = Date.now();
    this.pushLog({ seq: ++this.logSeq, time: at, level: 'warn', source: `${s.key}/stream`, message });
    this.emitExtra({ type: 'stream-gap', sandbox: s.key, message, at });
  }

  private pushLog(line: LogLine): void {
    this.recentLogs.push(line);
    if (this.recentLogs.length > MAX_RECENT_LOGS) this.recentLogs.splice(0, this.recentLogs.length - MAX_RECENT_LOGS);
    this.emit({ type: 'log', line });
  }

  private onWatchEvent(s: SandboxState, event: WatchEvent): void {
    switch (event.kind) {
      case 'sandbox': {
        const before = s.info.policyRevision;
        s.remote = event.sandbox;
        s.info = { ...toSandboxInfo(s.key, event.sandbox), pending: s.info.pending };
        if (s.info.policyRevision !== before)
          this.emit({
            type: 'revision',
            sandbox: s.key,
            revision: { number: s.info.policyRevision, sha256: '', time: Date.now(), cause: 'gateway', detail: '' },
          });
        void this.refresh(s).catch(() => undefined);
        return;
      }
      case 'draft':
        void this.refresh(s).catch(() => undefined);
        return;
      case 'warning':
        this.gap(s, `the gateway skipped events on this stream: ${event.message}`);
        return;
      case 'platform':
        if (!this.advance(s, event.cursor)) return;
        this.pushLog({
          seq: ++this.logSeq,
          time: event.time || Date.now(),
          level: event.type === 'Warning' ? 'warn' : 'info',
          source: `${s.key}/${event.source || 'event'}`,
          message: [event.reason, event.message].filter(Boolean).join(': '),
        });
        return;
      case 'log': {
        if (!this.advance(s, event.cursor)) return;
        const { line } = event;
        if (line.time >= s.lastLogTime) s.lastLogTime = line.time;
        this.pushLog({
          seq: ++this.logSeq,
          time: line.time,
          level: logLevel(line.level),
          source: `${s.key}/${line.target || line.source || 'log'}`,
          message: line.message,
        });
        const denial = parseDenial(line.message);
        if (denial) this.onDenial(s, denial, line.time);
        return;
      }
    }
  }

  /** Cursors compare byte-wise within one stream: anything not past ours was already processed. */
  private advance(s: SandboxState, cursor: string): boolean {
    if (!cursor) return true;
    if (s.cursor && Buffer.compare(Buffer.from(cursor), Buffer.from(s.cursor)) <= 0) return false;
    s.cursor = cursor;
    return true;
  }

  // ---- denials before their chunk ---------------------------------------------------------------

  private onDenial(s: SandboxState, denial: StreamDenial, at: number): void {
    if (denial.undraftable) {
      const { host, port, process } = denial;
      this.emit({ type: 'undraftable', denial: { sandbox: s.key, host, port, process, ...denial.undraftable, at, count: 1 } });
      return;
    }
    const covered = [...s.chunks.values()].some(
      (c) =>
        c.status === 'pending' &&
        endpointOf(c).host === denial.host &&
        endpointOf(c).port === denial.port &&
        sameProcess(c.binary, denial.process),
    );
    if (covered) return;
    // A short id of its own (`~d3`), kept for the entry's life: the chunk that answers it takes it over.
    const key = `${denial.host}|${denial.port}|${denial.process}`;
    const known = [...s.awaiting.values()].find((a) => a.key === key);
    const id = known?.request.id ?? `${s.key}/~d${++this.denialSeq}`;
    const request: InboxRequest = {
      id,
      host: denial.host,
      port: denial.port,
      binary: denial.process || 'unknown',
      firstSeen: known?.request.firstSeen ?? at,
      lastSeen: at,
      hits: (known?.request.hits ?? 0) + 1,
      samples: [],
      status: 'pending',
      held: 0,
      reason: denial.reason || 'denied by the sandbox policy; the gateway has not drafted a proposal yet',
      sandbox: s.key,
      awaitingProposal: true,
    };
    s.awaiting.set(id, { key, denial, request });
    this.emit({ type: 'request', request });
  }

  /** A fetched chunk takes over the inbox id of the denial it answers, so the entry is upgraded in place. */
  private adopt(s: SandboxState, chunk: RemoteChunk): void {
    // Only a pending chunk answers a new denial: a decided one keeps the id it was shown under.
    if (s.aliases.has(chunk.id) || s.awaiting.size === 0 || chunk.status !== 'pending') return;
    const { host, port } = endpointOf(chunk);
    for (const [id, { denial }] of s.awaiting) {
      if (denial.host === host && denial.port === port && sameProcess(chunk.binary, denial.process)) {
        s.aliases.set(chunk.id, id);
        s.awaiting.delete(id);
        return;
      }
    }
  }

  /** Denials awaiting a proposal that this pending chunk answers: gone from the inbox, the chunk is there. */
  private dropCovered(s: SandboxState, chunk: RemoteChunk): void {
    if (s.awaiting.size === 0 || chunk.status !== 'pending') return;
    const { host, port } = endpointOf(chunk);
    const covered = [...s.awaiting].filter(
      ([, { denial }]) => denial.host === host && denial.port === port && sameProcess(chunk.binary, denial.process),
    );
    for (const [id] of covered) s.awaiting.delete(id);
    if (covered.length > 0) this.emit({ type: 'removed', ids: covered.map(([id]) => id) });
  }

  private inboxOf(s: SandboxState): InboxRequest[] {
    for (const c of s.chunks.values()) this.adopt(s, c);
    return [
      ...[...s.chunks.values()].map((c) => toInboxRequest(s.key, c, s.aliases.get(c.id))),
      ...[...s.awaiting.values()].map((a) => a.request),
    ];
  }

  // ---- drafts ---------------------------------------------------------------------------------

  private async poll(generation: number): Promise<void> {
    try {
      const listed = await this.listSandboxes();
      if (generation !== this.generation) return;
      const keys = new Set(listed.map((s) => s.key));
      const added = listed.filter((s) => !this.sandboxes.has(s.key));
      const removed = [...this.sandboxes.keys()].filter((n) => !keys.has(n));
      for (const n of removed) {
        const gone = this.sandboxes.get(n)!;
        gone.watch?.cancel();
        this.sandboxes.delete(n);
        const ids = [...this.inboxOf(gone).map((r) => r.id)];
        if (ids.length > 0) this.emit({ type: 'removed', ids });
      }
      for (const s of added) this.sandboxes.set(s.key, s), this.watch(s, generation);
      for (const s of listed) {
        const known = this.sandboxes.get(s.key);
        if (known) known.remote = s.remote;
      }
      if (added.length || removed.length) this.emit({ type: 'sandboxes', sandboxes: this.sandboxInfos() });
      await forEachLimited([...this.sandboxes.values()], this.concurrency, (s) => this.refresh(s));
      void this.readPolicySources(generation);
    } catch (error) {
      this.fail(generation, error);
    }
  }

  private async fetchChunks(s: SandboxState): Promise<RemoteChunk[]> {
    const { chunks } = await this.protocol.draft(s.ref);
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

  /** Fetches a sandbox's drafts and emits only the chunks that changed (and which are gone: cleared). */
  private async refetch(s: SandboxState): Promise<void> {
    const before = s.chunks;
    const chunks = await this.fetchChunks(s);
    const gone = [...before.keys()].filter((id) => !s.chunks.has(id));
    if (gone.length > 0) this.emit({ type: 'removed', ids: gone.map((id) => inboxId(s.key, id, s.aliases.get(id))) });
    let changed = gone.length > 0;
    for (const c of chunks) {
      const old = before.get(c.id);
      const wasAwaiting = !s.aliases.has(c.id) && s.awaiting.size > 0;
      // A chunk already shown keeps the id it was shown under (an undo makes it pending again: it must not
      // turn into another entry); a denial it now covers is not a request of its own (as in onDenial).
      if (old) this.dropCovered(s, c);
      else this.adopt(s, c);
      const upgraded = wasAwaiting && s.aliases.has(c.id);
      if (
        !upgraded &&
        old &&
        old.status === c.status &&
        old.hitCount === c.hitCount &&
        old.lastSeen === c.lastSeen &&
        old.reviewToken === c.reviewToken &&
        old.validationResult === c.validationResult
      )
        continue;
      changed = true;
      this.emit({ type: 'request', request: toInboxRequest(s.key, c, s.aliases.get(c.id)) });
    }
    if (changed) this.emit({ type: 'sandboxes', sandboxes: this.sandboxInfos() });
  }

  /**
   * A decision on a denial still awaiting its proposal waits (refetching) for the chunk that answers
   * it, up to PROPOSAL_WAIT_MS: the operator can press `a` the moment the denial shows.
   */
  private async proposalFor(id: string): Promise<void> {
    const slash = id.lastIndexOf('/');
    const s = this.sandboxes.get(id.slice(0, slash));
    if (!s?.awaiting.has(id)) return;
    const deadline = Date.now() + PROPOSAL_WAIT_MS;
    while (s.awaiting.has(id)) {
      if (Date.now() > deadline)
        throw new GatewayError(
          'failed-precondition',
          `the gateway has not proposed a rule for ${id} yet; decide it once the proposal arrives`,
        );
      await this.refresh(s).catch(() => undefined);
      if (s.awaiting.has(id)) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private locate(id: string): { s: SandboxState; chunk: RemoteChunk } {
    const slash = id.lastIndexOf('/');
    const s = slash > 0 ? this.sandboxes.get(id.slice(0, slash)) : undefined;
    if (s?.awaiting.has(id))
      throw new GatewayError(
        'failed-precondition',
        `${id} is a denial the gateway has not drafted a proposal for yet; decide it once the proposal arrives`,
      );
    const local = id.slice(slash + 1);
    const chunkId = s ? ([...s.aliases].find(([, alias]) => alias === id)?.[0] ?? local) : local;
    const chunk = s?.chunks.get(chunkId);
    if (!s || !chunk) throw new GatewayError('not-found', `no request with id '${id}'`);
    return { s, chunk };
  }

  private sandbox(name?: string): SandboxState {
    const s = name ? this.sandboxes.get(name) : [...this.sandboxes.values()][0];
    if (!s) throw new GatewayError('not-found', name ? `no sandbox '${name}' on ${this.info.name}` : `${this.info.name} has no sandboxes`);
    return s;
  }

  /**
   * A mutation with one request_id for all its attempts: when the outcome of a call is unknown (the
   * connection dropped), it is sent again with the same id and the gateway replays the first result
   * instead of applying it twice. 0.0.x has no request_id, so there a lost answer is an error to refetch.
   */
  private async mutate<T>(run: (requestId: string) => Promise<T>): Promise<T> {
    const requestId = randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        return await run(requestId);
      } catch (error) {
        if (!outcomeUncertain(error) || attempt >= MAX_DECISION_ATTEMPTS || this.protocol.info.generation === 'legacy')
          throw toGatewayError(error);
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        await this.options.rpc.ready(5_000).catch(() => undefined);
      }
    }
  }

  /** A decision, then an immediate refetch: the next decision must carry the fresh review token. */
  private async decide<T>(s: SandboxState, run: (requestId: string) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await this.mutate(run);
    } catch (error) {
      const e = toGatewayError(error);
      if (e.code === 'stale' || e.code === 'failed-precondition' || e.code === 'unavailable') await this.refresh(s).catch(() => undefined);
      // Refused for a precondition: perhaps a global policy was set since we last looked (the inbox says so).
      if (e.code === 'failed-precondition') await this.config(s).catch(() => undefined);
      throw e;
    }
    await this.refresh(s).catch(() => undefined);
    return result;
  }

  /** GetSandboxConfig, remembering whose policy is in force (decisions check it; the inbox says it). */
  private async config(s: SandboxState): Promise<RemoteConfig> {
    const config = await this.protocol.config(s.ref);
    const before = s.policySource;
    s.policySource = { source: config.policySource, globalVersion: config.globalPolicyVersion, at: Date.now() };
    const wasGlobal = before?.source === 'global' ? before.globalVersion : undefined;
    const isGlobal = config.policySource === 'global' ? config.globalPolicyVersion : undefined;
    if (wasGlobal !== isGlobal && this.sandboxes.get(s.key) === s) this.emit({ type: 'sandboxes', sandboxes: this.sandboxInfos() });
    return config;
  }

  /** Upstream refuses draft decisions while a gateway-global policy overrides the sandbox's own. */
  private async requireSandboxPolicy(s: SandboxState, verb: 'approve' | 'modify'): Promise<void> {
    const fresh = s.policySource && Date.now() - s.policySource.at < POLICY_SOURCE_TTL_MS;
    if (!fresh) await this.config(s);
    const { source, globalVersion } = s.policySource!;
    if (source === 'global')
      throw new GatewayError(
        'failed-precondition',
        `Cannot ${verb} rules while a global policy is active (global policy v${globalVersion} overrides ${s.key}'s own)`,
      );
  }

  async approve(id: string, _lifetime: Lifetime): Promise<void> {
    // A gateway approval is a policy revision: there is no lifetime to give it.
    await this.proposalFor(id);
    const { s, chunk } = this.locate(id);
    await this.requireSandboxPolicy(s, 'approve');
    await this.decide(s, (requestId) => this.protocol.approve(s.ref, { id: chunk.id, reviewToken: chunk.reviewToken }, requestId));
  }

  /** Approves a chunk the operator rejected earlier (upstream allows rejected → approved). */
  async reapprove(id: string, _lifetime: Lifetime = 'session'): Promise<void> {
    const { chunk } = this.locate(id);
    if (chunk.status !== 'rejected') throw new GatewayError('failed-precondition', `${id} is ${chunk.status}, not rejected`);
    await this.approve(id, 'session');
  }

  async reject(id: string, reason?: string): Promise<void> {
    await this.proposalFor(id);
    const { s, chunk } = this.locate(id);
    await this.requireSandboxPolicy(s, 'modify');
    await this.decide(s, (requestId) => this.protocol.reject(s.ref, chunk.id, reason ?? '', requestId));
  }

  /** What approve-all would do with these requests: those it approves, and those it skips and why. */
  async approveAllPreview(ids: string[]): Promise<ApprovePreview> {
    return this.previewOf(ids, false);
  }

  private previewOf(ids: string[], includeSecurityFlagged: boolean): ApprovePreview {
    const preview: ApprovePreview = { approve: [], skip: [] };
    for (const id of ids) {
      const slash = id.lastIndexOf('/');
      const s = this.sandboxes.get(id.slice(0, slash));
      const awaiting = s?.awaiting.get(id);
      if (awaiting) {
        preview.skip.push({ request: awaiting.request, why: 'awaiting-proposal' });
        continue;
      }
      const { s: sandbox, chunk } = this.locate(id);
      const request = toInboxRequest(sandbox.key, chunk, sandbox.aliases.get(chunk.id));
      if (chunk.status !== 'pending') preview.skip.push({ request, why: 'not-pending' });
      else if (sandbox.policySource?.source === 'global') preview.skip.push({ request, why: 'global-policy' });
      else if (chunk.securityNotes && !includeSecurityFlagged) preview.skip.push({ request, why: 'security-flagged' });
      else if (chunk.applicationError || !chunk.reviewToken) preview.skip.push({ request, why: 'stale' });
      else preview.approve.push(request);
    }
    return preview;
  }

  async approveAll(ids: string[], _lifetime: Lifetime, options: ApproveOptions = {}): Promise<ApproveAllOutcome> {
    // Security-flagged chunks (an unidentified binary among them) only when the operator said so.
    const flagged = options.allowUnknownBinary === true;
    const preview = this.previewOf(ids, flagged);
    const bySandbox = new Map<SandboxState, RemoteChunk[]>();
    for (const r of preview.approve) {
      const { s, chunk } = this.locate(r.id);
      bySandbox.set(s, [...(bySandbox.get(s) ?? []), chunk]);
    }
    // Nothing left because a global policy is in force: say it in upstream's words.
    const global = preview.skip.find((k) => k.why === 'global-policy');
    if (global && bySandbox.size === 0) await this.requireSandboxPolicy(this.locate(global.request.id).s, 'approve');
    const skipped = preview.skip.filter((k) => k.why !== 'not-pending').map((k) => `${k.request.id} (${k.why})`);
    for (const [s, chunks] of bySandbox) {
      await this.requireSandboxPolicy(s, 'approve');
      const r = await this.decide(s, (requestId) =>
        this.protocol.approveAll(
          s.ref,
          chunks.map((c) => ({ id: c.id, reviewToken: c.reviewToken })),
          flagged,
          requestId,
        ),
      );
      if (r.skipped) skipped.push(`${s.key}: ${r.skipped} skipped by the gateway (stale, flagged or conflicting)`);
    }
    if (skipped.length)
      throw new GatewayError('failed-precondition', `some were not approved: ${skipped.join(', ')}; review them one by one`);
    return { skipped: [] };
  }

  async undo(id: string): Promise<void> {
    const { s, chunk } = this.locate(id);
    await this.decide(s, (requestId) => this.protocol.undo(s.ref, chunk.id, requestId));
  }

  /** EditDraftChunk, narrowing only (ports, binaries, paths, allowed_ips). */
  async editChunk(id: string, change: ChunkNarrowing): Promise<void> {
    const { s, chunk } = this.locate(id);
    if (chunk.status !== 'pending')
      throw new GatewayError('failed-precondition', `${id} is ${chunk.status}; only pending chunks can be edited`);
    const rule = narrowRule(chunk.rule, change);
    await this.decide(s, (requestId) => this.protocol.edit(s.ref, chunk.id, rule, requestId));
  }

  /** ClearDraftChunks: every pending chunk of the sandbox goes; resolves with how many. */
  async clearDrafts(sandbox?: string): Promise<number> {
    const s = this.sandbox(sandbox);
    return this.decide(s, (requestId) => this.protocol.clear(s.ref, requestId));
  }

  async draftHistory(sandbox?: string): Promise<DraftHistoryEntry[]> {
    return this.protocol.history(this.sandbox(sandbox).ref);
  }

  // ---- workspaces, sandbox metadata, settings, providers -------------------------------------------

  async workspaces(): Promise<RemoteWorkspace[]> {
    return this.protocol.listWorkspaces();
  }

  /** Shows one workspace, or every one ('*'): a full resync into a fresh inbox. */
  async selectWorkspace(name: string): Promise<void> {
    const next = scopeOf(name);
    if (JSON.stringify(next) === JSON.stringify(this.scope)) return;
    this.scope = next;
    // A sandbox's stream is the same whichever scope lists it: keep its position, so the new watch resumes
    // instead of replaying its tail (replayed denials would come back as entries awaiting a proposal).
    for (const s of this.sandboxes.values()) {
      s.watch?.cancel();
      this.positions.set(refKey(s.ref), { cursor: s.cursor, lastLogTime: s.lastLogTime });
    }
    this.sandboxes.clear();
    clearInterval(this.pollTimer);
    if (this.running) await this.connect();
  }

  async sandboxMetadata(sandbox?: string): Promise<SandboxMetadata> {
    const s = this.sandbox(sandbox);
    const remote = await this.protocol.getSandbox(s.ref.name, s.ref.workspace);
    const [config, status] = await Promise.all([
      this.config(s).catch(() => undefined),
      remote.policyVersion ? this.protocol.policyStatus({ sandbox: s.ref }, remote.policyVersion).catch(() => undefined) : undefined,
    ]);
    return {
      name: remote.ref.name,
      workspace: remote.ref.workspace,
      phase: remote.phase,
      image: remote.image,
      providers: remote.providers,
      conditions: remote.conditions,
      admission: {
        state: remote.admission?.state ?? (config?.admitted === false && config.admissionError ? 'rejected' : 'unknown'),
        error: remote.admission?.error || config?.admissionError || '',
      },
      restartCount: remote.restartCount,
      policyVersion: remote.policyVersion,
      policyStatus: status?.revision.status ?? 'unknown',
      policyLoadError: status?.revision.loadError ?? '',
      policySource: config?.policySource ?? 'unspecified',
    };
  }

  /** Settings with where each value comes from: a sandbox's effective ones, or the gateway-global ones. */
  async settings(scope: 'global' | { sandbox?: string }): Promise<SettingRow[]> {
    if (scope === 'global') {
      const { settings } = await this.protocol.gatewaySettings();
      return Object.entries(settings)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => ({
          key,
          value: value.kind === 'unset' ? '' : String(value.value),
          kind: value.kind,
          source: value.kind === 'unset' ? 'unset' : 'global',
          ...settingSchema(key, value),
        }));
    }
    const config = await this.config(this.sandbox(scope.sandbox));
    return Object.entries(config.settings)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, e]) => ({
        key,
        value: e.value.kind === 'unset' ? '' : String(e.value.value),
        kind: e.value.kind,
        source: e.source,
        ...settingSchema(key, e.value),
      }));
  }

  /** Sets a setting from what an operator typed, validated against its kind first; `null` deletes it. */
  async setSetting(scope: 'global' | { sandbox?: string }, key: string, raw: string | null): Promise<void> {
    const target: PolicyScope = scope === 'global' ? { global: true } : { sandbox: this.sandbox(scope.sandbox).ref };
    let value = null;
    if (raw !== null) {
      const current = (await this.settings(scope)).find((row) => row.key === key);
      value = parseSetting(key, raw, current && current.kind !== 'unset' ? parseSettingKind(current) : undefined);
    }
    await this.mutate((requestId) => this.protocol.setSetting({ scope: target, key, value }, requestId));
  }

  async providerDetail(name: string): Promise<RemoteProvider> {
    const workspace = 'all' in this.scope ? 'default' : this.scope.workspace;
    return this.protocol.provider(name, workspace);
  }

  // ---- policy, revisions, presets ----------------------------------------------------------------

  async policy(revision?: number, sandbox?: string): Promise<PolicyView> {
    const s = this.sandbox(sandbox);
    let info: RevisionInfo;
    let policy: RemoteRevision['policy'];
    if (revision === undefined) {
      const config = await this.config(s);
      policy = config.policy;
      info = {
        number: config.version,
        sha256: config.hash,
        time: Date.now(),
        cause: 'current',
        detail: config.policySource === 'global' ? 'global policy' : '',
      };
    } else {
      const status = await this.protocol.policyStatus({ sandbox: s.ref }, revision);
      policy = status.revision.policy;
      info = toRevisionInfo(status.revision);
    }
    const doc = policy ?? { version: 1, network_policies: {} };
    const origins = Object.fromEntries(Object.keys(doc.network_policies).map((k) => [k, this.info.name]));
    return { revision: info, yaml: stringify(doc), origins };
  }

  async revisions(sandbox?: string): Promise<RevisionInfo[]> {
    const list = await this.protocol.revisions({ sandbox: this.sandbox(sandbox).ref });
    return list.map(toRevisionInfo).sort((a, b) => a.number - b.number);
  }

  async providers(): Promise<ProviderInfo[]> {
    return (await this.protocol.providers(this.scope)).map((p) => ({ name: p.name, type: p.type, credentials: p.credentialNames }));
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

  async promote(id: string, request: PromoteOrder): Promise<PromoteOutcome> {
    const { s, chunk } = this.locate(id);
    const r = toInboxRequest(s.key, chunk);
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
    const saved = await this.options.presets.saveCustom(doc, { onExisting: request.ifExists, description: request.description });
    await this.merge(s, addPresetOperations(doc));
    return { name: doc.preset.name, file: saved.file, yaml: saved.yaml, change: saved.change, summary: saved.summary, diff: saved.diff };
  }

  async addPreset(name: string, sandbox?: string): Promise<void> {
    await this.merge(this.sandbox(sandbox), addPresetOperations(this.preset(name)));
  }

  async removePreset(name: string, sandbox?: string): Promise<void> {
    await this.merge(this.sandbox(sandbox), removePresetOperations(this.preset(name)));
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
  private async merge(s: SandboxState, operations: MergeOperation[]): Promise<{ version: number; hash: string }> {
    const result = await this.mutate((requestId) => this.protocol.merge(s.ref, operations, requestId));
    await this.refresh(s).catch(() => undefined);
    return result;
  }

  private preset(name: string): PresetDocument {
    const doc = this.options.presets.get(name);
    if (!doc) throw new GatewayError('not-found', `no preset named '${name}'`);
    return doc;
  }

  private async liveKeys(sandbox?: string): Promise<Set<string>> {
    return new Set(Object.keys((await this.config(this.sandbox(sandbox))).policy.network_policies));
  }
}

function scopeOf(workspace: string | undefined): WorkspaceScope {
  return workspace === '*' ? { all: true } : { workspace: workspace || 'default' };
}

function parseSettingKind(row: SettingRow) {
  if (row.kind === 'bool') return { kind: 'bool' as const, value: row.value === 'true' };
  if (row.kind === 'int') return { kind: 'int' as const, value: row.value };
  return { kind: 'string' as const, value: row.value };
}

function toSandboxInfo(key: string, remote: RemoteSandbox): SandboxInfo {
  return { name: key, phase: remote.phase, policyRevision: remote.policyVersion, pending: 0, createdAt: remote.createdAt };
}

function toRevisionInfo(r: RemoteRevision): RevisionInfo {
  const cause = r.provenance.cause || r.status;
  return {
    number: r.version,
    sha256: r.hash,
    time: r.createdAt,
    cause,
    detail: [r.status, r.provenance.detail, r.loadError].filter(Boolean).join(' · '),
  };
}

function endpointOf(chunk: RemoteChunk): { host: string; port: number } {
  const e = chunk.rule.endpoints[0] ?? {};
  return { host: e.host ?? '', port: e.port ?? e.ports?.[0] ?? 0 };
}

const inboxId = (sandbox: string, chunkId: string, alias?: string) => alias ?? `${sandbox}/${chunkId}`;

/** L7 samples: from the proposed rule's method/path rules (upstream), else our server's "Seen:" list. */
function samplesOf(chunk: RemoteChunk): L7Sample[] {
  const fromRules = chunk.rule.endpoints.flatMap((e) =>
    (e.rules ?? []).filter((r) => r.allow?.method && r.allow?.path).map((r) => ({ method: r.allow.method!, path: r.allow.path! })),
  );
  if (fromRules.length > 0) return fromRules.slice(0, 5);
  const seen = chunk.rationale.split(SEEN_PREFIX)[1];
  if (!seen) return [];
  return seen
    .split(', ')
    .map((pair) => pair.split(' '))
    .filter((p) => p.length === 2)
    .map(([method, path]) => ({ method, path }))
    .slice(0, 5);
}

/** Upstream's inbox annotation: application blocked, auto-approved, reviewed, or review required (and why). */
export function annotationOf(chunk: RemoteChunk): NonNullable<InboxRequest['proposal']>['annotation'] {
  const blocked = chunk.applicationError.trim();
  if (blocked) return { kind: 'application-blocked', label: 'application blocked', detail: `candidate cannot be applied: ${blocked}` };
  const validation = chunk.validationResult.trim();
  if (!validation) return undefined;
  if (validation === 'prover: no new findings')
    return chunk.status === 'approved'
      ? { kind: 'auto-approved', label: 'auto-approved', detail: 'proposal was auto-approved; no additional risk detected' }
      : { kind: 'review-required', label: 'review required', detail: 'rule requires review; no additional risk detected' };
  const issues = [
    ...new Set(
      validation
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(':')[0]?.trim().replace(/_/g, ' '))
        .filter((l): l is string => !!l),
    ),
  ];
  const summary = issues.length ? issues.join(', ') : validation.split('\n')[0];
  return chunk.status === 'approved'
    ? { kind: 'reviewed', label: 'reviewed', detail: `rule was approved after review; possible issues: ${summary}` }
    : {
        kind: 'review-required',
        label: 'review required',
        detail: `rule was not auto-approved and requires review; possible issues: ${summary}`,
      };
}

export function toInboxRequest(sandbox: string, chunk: RemoteChunk, alias?: string): InboxRequest {
  const { host, port } = endpointOf(chunk);
  const request: PendingRequest = {
    id: inboxId(sandbox, chunk.id, alias),
    host,
    port,
    binary: chunk.binary || chunk.rule.binaries[0]?.path || 'unknown',
    firstSeen: chunk.firstSeen,
    lastSeen: chunk.lastSeen,
    hits: chunk.hitCount,
    samples: samplesOf(chunk),
    status: chunk.status,
    held: 0,
    reason: chunk.rationale.split(SEEN_PREFIX)[0],
    ...(chunk.decidedAt ? { decidedAt: chunk.decidedAt } : {}),
    ...(chunk.rejectionReason ? { decisionNote: chunk.rejectionReason } : {}),
  };
  const annotation = annotationOf(chunk);
  return {
    ...request,
    sandbox,
    proposal: {
      ruleName: chunk.ruleName,
      rule: chunk.rule,
      securityNotes: chunk.securityNotes,
      validationResult: chunk.validationResult,
      applicationError: chunk.applicationError,
      ...(annotation ? { annotation } : {}),
      ...(chunk.rejectionReason ? { guidance: chunk.rejectionReason } : {}),
    },
  };
}

const refKey = (ref: SandboxRef) => `${ref.workspace}\u0000${ref.name}`;
