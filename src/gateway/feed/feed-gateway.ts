import type { PendingRequest } from '../../core/inbox/pending-request.js';
import type { PresetInfo } from '../../core/presets/preset-store.js';
import { previewCoreApproveAll } from '../approve-preview.js';
import { CORE_CAPABILITIES } from '../capabilities.js';
import { notOffered } from '../not-offered.js';
import { gatewayNoticeOf, healthNotices, promoteOutcomeOf, revisionInfo } from '../core-projection.js';
import { GatewayError, mapErrors, messageOf } from '../errors.js';
import type {
  ApprovePreview,
  ChunkNarrowing,
  ApproveAllOutcome,
  ApproveOptions,
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
  ProviderInfo,
  RevisionInfo,
} from '../gateway.js';
import { withSessionProposal } from '../session-proposal.js';
import { FeedClient } from './feed-client.js';
import { MAX_PAGE, type ApproveManyReply, type FeedEvent, type RequestPage, type RevisionSummary } from './protocol.js';

interface Naming {
  /** How the gateway is named on screen and in messages (default "core"). */
  name?: string;
  /** The sandbox the core stands for (the feed does not say; default "local"). */
  sandbox?: string;
  connectTimeoutMs?: number;
  /** How agents reach this core (from its core.json), for the console's first screen. */
  agents?: GatewayInfo['agents'];
}

/**
 * Where the core is: its state dir (the verified way: the core core.json names must be alive and own the
 * feed's port before the token is sent; see FeedClient.connectToCore), or a feed URL and token given.
 */
export type FeedGatewayOptions = Naming & ({ stateDir: string } | { url: string; token: string });

type Connected = Awaited<ReturnType<typeof FeedClient.connect>>;

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
    const endpoint = 'stateDir' in options ? `state dir ${options.stateDir}` : options.url;
    this.info = {
      name: options.name ?? 'core',
      mode: 'standalone',
      endpoint,
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
    let connected: Connected;
    try {
      connected = await this.connect();
    } catch (error) {
      const e = error instanceof GatewayError ? error : new GatewayError('unavailable', messageOf(error), { cause: error });
      this.emit({ type: 'connection', state: { status: 'disconnected', error: e.message, code: e.code } });
      throw e;
    }
    const { client, hello } = connected;
    this.client = client;
    // Events that arrive while the rest of the inbox is fetched are newer than the pages before them:
    // they are applied after the snapshot, in order (the core sends exactly one per change).
    let early: FeedEvent[] | undefined = [];
    client.on('event', (event) => (early ? early.push(event) : this.onFeedEvent(event)));
    client.on('close', () => {
      if (!this.stopping)
        this.emit({ type: 'connection', state: { status: 'disconnected', error: 'the core closed the feed', code: 'unavailable' } });
    });
    const requests = [...hello.pending];
    try {
      for (let after = hello.next; after; ) {
        const page: RequestPage = await this.command<RequestPage>({ type: 'requests.page', after, limit: MAX_PAGE });
        requests.push(...page.requests);
        after = page.next;
      }
    } catch (error) {
      client.close();
      this.client = undefined;
      const e = error instanceof GatewayError ? error : new GatewayError('unavailable', messageOf(error));
      this.emit({ type: 'connection', state: { status: 'disconnected', error: e.message, code: e.code } });
      throw e;
    }
    this.emit({ type: 'connection', state: { status: 'connected' } });
    this.emit({
      type: 'snapshot',
      requests: requests.map((r) => this.inbox(r)),
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
    for (const notice of healthNotices(hello.health)) this.emit({ type: 'notice', notice });
    const queued = early;
    early = undefined;
    for (const event of queued) this.onFeedEvent(event);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.client?.close();
    this.client = undefined;
  }

  async approve(id: string, lifetime: Lifetime, options: ApproveOptions = {}): Promise<void> {
    await this.command({ type: 'approve', id, lifetime, allowUnknownBinary: options.allowUnknownBinary === true });
  }

  async reject(id: string, reason?: string): Promise<void> {
    await this.command({ type: 'reject', id, reason });
  }

  /** One command for all of them: the core approves them as one change (one revision, one audit write). */
  async approveAll(ids: string[], lifetime: Lifetime, options: ApproveOptions = {}): Promise<ApproveAllOutcome> {
    const reply = await this.command<ApproveManyReply>({
      type: 'approve-many',
      ids,
      lifetime,
      allowUnknownBinary: options.allowUnknownBinary === true,
    });
    return { skipped: reply.skipped.map((s) => ({ id: s.id, reason: s.reason })) };
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

  async promote(id: string, request: PromoteOrder): Promise<PromoteOutcome> {
    return promoteOutcomeOf(await this.command<PromoteOutcome>({ type: 'promote', id, ...request }));
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

  private async connect(): Promise<Connected> {
    const { options } = this;
    if ('stateDir' in options) {
      const connected = await FeedClient.connectToCore(options.stateDir, options.connectTimeoutMs);
      return connected;
    }
    try {
      return await FeedClient.connect(options.url, options.token, options.connectTimeoutMs);
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      throw new GatewayError('unavailable', `cannot reach the core at ${options.url} (${messageOf(error)}); is it still running?`, {
        cause: error,
      });
    }
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
        return this.emit({ type: 'notice', notice: gatewayNoticeOf(event.notice) });
    }
  }

  private command<T = unknown>(command: Parameters<FeedClient['command']>[0]): Promise<T> {
    const client = this.client;
    if (!client) return Promise.reject(new GatewayError('unavailable', `not connected to the core (${this.info.endpoint})`));
    return mapErrors(
      () => client.command<T>(command),
      (error) => (error instanceof GatewayError ? error.code : 'internal'),
    );
  }
}
