// Standalone mode's Gateway: the embedded core in this process. Calls go straight to the core; its
// changes come through the one core projection. Nothing here blocks: the core's methods are synchronous
// and cheap. Every failure leaves as a GatewayError, classified here once.
import { parseLifetime } from '../../core/approvals/session-approvals.js';
import { TIERS } from '../../core/presets/tiers.js';
import { previewCoreApproveAll } from '../approve-preview.js';
import { CORE_CAPABILITIES } from '../capabilities.js';
import { notOffered } from '../not-offered.js';
import { coreErrorCode } from '../core-errors.js';
import {
  gatewayEventOf,
  gatewayNoticeOf,
  healthNotices,
  promoteOutcomeOf,
  revisionInfo,
  snapshotCore,
  watchCore,
  watchCoreNotices,
} from '../core-projection.js';
import { GatewayError, mapErrors } from '../errors.js';
import type {
  ApprovePreview,
  ChunkNarrowing,
  ApproveAllOutcome,
  ApproveOptions,
  Gateway,
  GatewayEvent,
  GatewayInfo,
  Lifetime,
  PolicyView,
  PresetSummary,
  PromoteOutcome,
  PromoteOrder,
  ProviderInfo,
  RevisionInfo,
} from '../gateway.js';
import { withSessionProposal } from '../session-proposal.js';
import type { Standalone } from './standalone.js';

export class EmbeddedGateway implements Gateway {
  readonly info: GatewayInfo;
  readonly capabilities = CORE_CAPABILITIES;
  private readonly listeners = new Set<(event: GatewayEvent) => void>();
  private detach?: () => void;
  private readonly started = Date.now();

  constructor(
    private readonly standalone: Standalone,
    version: string,
  ) {
    this.info = {
      name: 'embedded',
      mode: 'standalone',
      endpoint: `proxy ${standalone.proxyAddress}`,
      version,
      agents: { proxy: standalone.proxyAddress, stateDir: standalone.stateDir },
    };
  }

  subscribe(listener: (event: GatewayEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    const { core, sandbox } = this.standalone;
    const emit = (event: GatewayEvent) => this.listeners.forEach((l) => l(event));
    this.detach?.();
    const unwatch = watchCore(core, (change) => emit(gatewayEventOf(change, sandbox, withSessionProposal)));
    // The core's notices (inbox full, audit log failing, and their all-clears) become the console's banners.
    const unnotice = watchCoreNotices(core, (notice) => emit({ type: 'notice', notice: gatewayNoticeOf(notice) }));
    this.detach = () => {
      unwatch();
      unnotice();
    };
    const snapshot = snapshotCore(core);
    emit({ type: 'connection', state: { status: 'connected' } });
    emit({
      type: 'snapshot',
      requests: snapshot.requests.map((r) => withSessionProposal({ ...r, sandbox })),
      revision: snapshot.revision,
      logs: snapshot.logs,
      sandboxes: [{ name: sandbox, phase: 'Ready', policyRevision: snapshot.revision.number, pending: 0, createdAt: this.started }],
    });
    // Conditions already standing when the console attaches (the core sends notices only when they change).
    for (const notice of healthNotices(core.health())) emit({ type: 'notice', notice });
  }

  async stop(): Promise<void> {
    this.detach?.();
    this.detach = undefined;
    await this.standalone.stop();
  }

  approve(id: string, lifetime: Lifetime, options: ApproveOptions = {}): Promise<void> {
    return this.run(() => void this.standalone.core.approve(id, lifetimeOf(lifetime), 'console', options));
  }

  reject(id: string, reason?: string): Promise<void> {
    return this.run(() => void this.standalone.core.reject(id, reason, 'console'));
  }

  approveAll(ids: string[], lifetime: Lifetime, options: ApproveOptions = {}): Promise<ApproveAllOutcome> {
    // One change for all of them: one revision, one audit write (entries of unknown binaries are skipped unless allowed).
    return this.run(() => {
      const { skipped } = this.standalone.core.approveMany(ids, lifetimeOf(lifetime), 'console', options);
      return { skipped: skipped.map((s) => ({ id: s.request.id, reason: s.reason })) };
    });
  }

  approveAllPreview(ids: string[]): Promise<ApprovePreview> {
    return this.run(() => {
      const { core, sandbox } = this.standalone;
      return previewCoreApproveAll(
        core.listRequests().map((r) => ({ ...r, sandbox })),
        ids,
      );
    });
  }

  reapprove(id: string, lifetime: Lifetime): Promise<void> {
    return this.run(() => {
      const entry = this.standalone.core.getRequest(id);
      if (!entry) throw new GatewayError('not_found', `no request with id '${id}'`);
      if (entry.status !== 'rejected') throw new GatewayError('failed_precondition', `${id} is ${entry.status}, not rejected`);
      this.standalone.core.approve(id, lifetimeOf(lifetime), 'console');
    });
  }

  editChunk(_id: string, _change: ChunkNarrowing): Promise<void> {
    return Promise.reject(
      new GatewayError(
        'unimplemented',
        'the core decides exactly the requested host, port and binary: promote to a preset to allow something else',
      ),
    );
  }

  clearDrafts(): Promise<number> {
    return Promise.reject(
      new GatewayError('unimplemented', "the core's pending requests are live connections waiting for a decision: approve or reject them"),
    );
  }

  undo(id: string): Promise<void> {
    return this.run(() => void this.standalone.core.undo(id, 'console'));
  }

  policy(revision?: number): Promise<PolicyView> {
    return this.run(() => {
      const { core } = this.standalone;
      const r = revision === undefined ? core.revision : core.revisions.get(revision);
      if (!r) throw new GatewayError('not_found', `no revision ${revision}`);
      const origins: Record<string, string> = {};
      for (const [key, layer] of core.effective.origin) origins[key] = layer.kind === 'approval' ? 'session approval' : layer.name;
      // The policy in force carries the core's warnings about it (the ones it logged when it came in).
      const warnings = r === core.revision ? [...core.policyWarnings] : undefined;
      return { revision: revisionInfo(r), yaml: r.yaml, origins, ...(warnings ? { warnings } : {}) };
    });
  }

  revisions(): Promise<RevisionInfo[]> {
    return this.run(() => this.standalone.core.revisions.list().map(revisionInfo));
  }

  providers(): Promise<ProviderInfo[]> {
    return Promise.resolve([]);
  }

  presets(): Promise<PresetSummary[]> {
    return this.run(() =>
      this.standalone.presets.list().map((p) => ({ name: p.name, source: p.source, applied: p.applied, description: p.description })),
    );
  }

  promote(id: string, request: PromoteOrder): Promise<PromoteOutcome> {
    return this.run(async () => {
      this.requireRequest(id);
      const r = await this.standalone.presets.promote(
        id,
        {
          name: request.name,
          description: request.description,
          access: request.access,
          anyBinary: request.anyBinary,
          dryRun: request.dryRun,
          onExisting: request.ifExists,
          inspect: request.inspect,
        },
        'console',
      );
      return promoteOutcomeOf(r);
    });
  }

  addPreset(name: string): Promise<void> {
    return this.run(async () => void (await this.standalone.presets.add({ name }, false, 'console')));
  }

  removePreset(name: string): Promise<void> {
    return this.run(() => this.standalone.presets.remove(name, false, 'console'));
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

  applyTier(tier: string): Promise<string[]> {
    return this.run(() => {
      if (!TIERS.some((t) => t.name === tier))
        throw new GatewayError('invalid_argument', `unknown tier '${tier}'; expected one of: ${TIERS.map((t) => t.name).join(', ')}`);
      return this.standalone.presets.applyTier(tier, 'console');
    });
  }

  private run<T>(work: () => T | Promise<T>): Promise<T> {
    return mapErrors(work, coreErrorCode);
  }

  private requireRequest(id: string): void {
    if (!this.standalone.core.listRequests().some((r) => r.id === id)) throw new GatewayError('not_found', `no request with id '${id}'`);
  }
}

function lifetimeOf(text: Lifetime) {
  const lifetime = parseLifetime(text);
  if (!lifetime) throw new GatewayError('invalid_argument', `invalid lifetime '${text}'; use once, session, or N minutes like 10m`);
  return lifetime;
}
