// A running core reached over its WebSocket feed, as a Gateway: what the CLI uses against the core of a
// state dir (and what a second console on the same core can use). The hello is the snapshot; feed events
// become gateway events; commands carry the core's error codes back as GatewayErrors.
import type { PendingRequest } from '../../core/inbox/pending-request.js';
import type { PresetInfo } from '../../core/presets/preset-store.js';
import { previewCoreApproveAll } from '../approve-preview.js';
import { CORE_CAPABILITIES } from '../capabilities.js';
import { notOffered } from '../not-offered.js';
import { revisionInfo, standingNotices } from '../core-projection.js';
import { GatewayError, mapErrors, messageOf } from '../errors.js';
import type {
  ApprovePreview,
  ChunkNarrowing,
  Gateway,
  GatewayCapabilities,
  GatewayEvent,
  GatewayInfo,
  InboxRequest,
  Lifetime,
  PolicyView,
  PresetSummary,
  PromoteOutcome,
  PromoteRequest,
  ProviderInfo,
  RevisionInfo,
} from '../gateway.js';
import { withSessionProposal } from '../session-proposal.js';
import { FeedClient } from './feed-client.js';
import type { FeedEvent, RevisionSummary } from './protocol.js';

export interface FeedGatewayOptions {
  url: string;
  token: string;
  /** How the gateway is named on screen and in messages (default "core"). */
  name?: string;
  /** The sandbox the core stands for (the feed does not say; default "local"). */
  sandbox?: string;
  connectTimeoutMs?: number;
  /** How agents reach this core (from its core.json), for the console's first screen. */
  agents?: GatewayInfo['agents'];
}

export class FeedGateway implements Gateway {
  readonly info: GatewayInfo;
  /** A core's, minus tiers: the feed has no command for them (`core --tier` applies one at start). */
  readonly capabilities: GatewayCapabilities = { ...CORE_CAPABILITIES, tiers: false };
  private readonly listeners = new Set<(event: GatewayEvent) => void>();
  private client?: FeedClient;
  private readonly sandbox: string;
  private stopping = false;

  constructor(private readonly options: FeedGatewayOptions) {
    this.sandbox = options.sandbox ?? 'local';
    this.info = {
      name: options.name ?? 'core',
      mode: 'standalone',
      endpoint: options.url,
      version: '',
      ...(options.agents ? { agents: options.agents } : {}),
    };
  }

  subscribe(listener: (event: GatewayEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Connects; rejects (and reports the connection as lost) when the core cannot be reached. */
  async start(): Promise<void> {
    this.emit({ type: 'connection', state: { status: 'connecting' } });
    let connected: Awaited<ReturnType<typeof FeedClient.connect>>;
    try {
      connected = await FeedClient.connect(this.options.url, this.options.token, this.options.connectTimeoutMs);
    } catch (error) {
      const e =
        error instanceof GatewayError
          ? error
          : new GatewayError('unavailable', `cannot reach the core at ${this.options.url} (${messageOf(error)}); is it still running?`, {
              cause: error,
            });
      this.emit({ type: 'connection', state: { status: 'disconnected', error: e.message, code: e.code } });
      throw e;
    }
    const { client, hello } = connected;
    this.client = client;
    client.on('event', (event) => this.onFeedEvent(event));
    client.on('close', () => {
      if (!this.stopping)
        this.emit({ type: 'connection', state: { status: 'disconnected', error: 'the core closed the feed', code: 'unavailable' } });
    });
    this.emit({ type: 'connection', state: { status: 'connected' } });
    this.emit({
      type: 'snapshot',
      requests: hello.pending.map((r) => this.inbox(r)),
      revision: revisionInfo(hello.revision),
      logs: hello.logs,
      sandboxes: [
        {
          name: this.sandbox,
          phase: 'Ready',
          policyRevision: hello.revision.number,
          pending: 0,
          createdAt: Date.now() - hello.health.uptimeMs,
        },
      ],
    });
    for (const notice of standingNotices(hello.health)) this.emit({ type: 'notice', notice });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.client?.close();
    this.client = undefined;
  }

  async approve(id: string, lifetime: Lifetime): Promise<void> {
    await this.command({ type: 'approve', id, lifetime });
  }

  async reject(id: string, reason?: string): Promise<void> {
    await this.command({ type: 'reject', id, reason });
  }

  /** One approve per id: the feed's own approve-all takes every pending request, not a chosen few. */
  async approveAll(ids: string[], lifetime: Lifetime): Promise<void> {
    for (const id of ids) await this.command({ type: 'approve', id, lifetime });
  }

  /** From the core's own list (asked fresh): what approveAll would approve, and what the core would skip. */
  async approveAllPreview(ids: string[]): Promise<ApprovePreview> {
    const requests = await this.command<PendingRequest[]>({ type: 'requests' });
    return previewCoreApproveAll(
      requests.map((r) => this.inbox(r)),
      ids,
    );
  }

  async reapprove(id: string, lifetime: Lifetime): Promise<void> {
    const requests = await this.command<PendingRequest[]>({ type: 'requests' });
    const entry = requests.find((r) => r.id === id);
    if (!entry) throw new GatewayError('not_found', `no request with id '${id}'`);
    if (entry.status !== 'rejected') throw new GatewayError('failed_precondition', `${id} is ${entry.status}, not rejected`);
    await this.command({ type: 'approve', id, lifetime });
  }

  async editChunk(_id: string, _change: ChunkNarrowing): Promise<void> {
    throw new GatewayError(
      'unimplemented',
      'the core decides exactly the requested host, port and binary: promote to a preset to allow something else',
    );
  }

  async clearDrafts(): Promise<number> {
    throw new GatewayError(
      'unimplemented',
      "the core's pending requests are live connections waiting for a decision: approve or reject them",
    );
  }

  async undo(id: string): Promise<void> {
    await this.command({ type: 'undo', id });
  }

  async policy(revision?: number): Promise<PolicyView> {
    const r = await this.command<RevisionSummary & { yaml: string }>({ type: 'policy.get', rev: revision });
    // The feed does not say which layer each entry came from.
    return { revision: revisionInfo(r), yaml: r.yaml, origins: {} };
  }

  async revisions(): Promise<RevisionInfo[]> {
    return (await this.command<RevisionSummary[]>({ type: 'revisions' })).map(revisionInfo);
  }

  async providers(): Promise<ProviderInfo[]> {
    return [];
  }

  async presets(): Promise<PresetSummary[]> {
    const list = await this.command<PresetInfo[]>({ type: 'presets' });
    return list.map((p) => ({ name: p.name, source: p.source, applied: p.applied, description: p.description }));
  }

  async promote(id: string, request: PromoteRequest): Promise<PromoteOutcome> {
    const r = await this.command<PromoteOutcome>({ type: 'promote', id, ...request });
    return { name: r.name, file: r.file, yaml: r.yaml, dryRun: r.dryRun };
  }

  async addPreset(name: string): Promise<void> {
    await this.command({ type: 'preset.add', name });
  }

  async removePreset(name: string): Promise<void> {
    await this.command({ type: 'preset.remove', name });
  }

  async applyTier(tier: string): Promise<string[]> {
    throw new GatewayError(
      'unimplemented',
      `a running core takes tiers at start (openshell-term core --tier ${tier}); its feed cannot apply one`,
    );
  }

  // No workspaces, sandbox metadata, settings, provider detail or draft history on an enforcement core.
  workspaces(): Promise<never> {
    return notOffered(this.info.name, 'workspaces');
  }

  selectWorkspace(): Promise<never> {
    return notOffered(this.info.name, 'workspaces');
  }

  sandboxMetadata(): Promise<never> {
    return notOffered(this.info.name, 'sandbox metadata');
  }

  settings(): Promise<never> {
    return notOffered(this.info.name, 'settings');
  }

  setSetting(): Promise<never> {
    return notOffered(this.info.name, 'settings');
  }

  providerDetail(): Promise<never> {
    return notOffered(this.info.name, 'providers');
  }

  draftHistory(): Promise<never> {
    return notOffered(this.info.name, 'draft history');
  }

  private emit(event: GatewayEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private inbox(r: PendingRequest): InboxRequest {
    return withSessionProposal({ ...r, sandbox: this.sandbox });
  }

  private onFeedEvent(event: FeedEvent): void {
    switch (event.type) {
      case 'request.pending':
      case 'request.updated':
      case 'request.decided':
        return this.emit({ type: 'request', request: this.inbox(event.request) });
      case 'policy.revision':
        return this.emit({ type: 'revision', revision: revisionInfo(event.revision) });
      case 'log':
        return this.emit({ type: 'log', line: event.line });
      case 'notice':
        return this.emit({ type: 'notice', notice: event.notice });
    }
  }

  private command<T = unknown>(command: Parameters<FeedClient['command']>[0]): Promise<T> {
    const client = this.client;
    if (!client) return Promise.reject(new GatewayError('unavailable', `not connected to the core at ${this.options.url}`));
    return mapErrors(
      () => client.command<T>(command),
      (error) => (error instanceof GatewayError ? error.code : 'internal'),
    );
  }
}
