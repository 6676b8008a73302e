// Standalone mode's Gateway: the embedded core in this process. Calls go straight to the core; its
// events become gateway events. Nothing here blocks: the core's methods are synchronous and cheap.
import { parseLifetime } from '../../core/approvals/session-approvals.js';
import type { PendingRequest } from '../../core/inbox/pending-request.js';
import type { LogLine } from '../../core/engine/log-buffer.js';
import { TIERS } from '../../core/presets/tiers.js';
import type { Revision } from '../../core/revisions/revision-log.js';
import type {
  Gateway,
  GatewayEvent,
  GatewayInfo,
  InboxRequest,
  Lifetime,
  PolicyView,
  PresetSummary,
  PromoteRequest,
  ProviderInfo,
  RevisionInfo,
} from '../gateway.js';
import type { Standalone } from './standalone.js';

const toInbox = (r: PendingRequest, sandbox: string): InboxRequest => ({ ...r, samples: [...r.samples], sandbox });
const toRevision = (r: Revision): RevisionInfo => ({ number: r.number, sha256: r.sha256, time: r.time, cause: r.cause, detail: r.detail });

export class EmbeddedGateway implements Gateway {
  readonly info: GatewayInfo;
  private readonly listeners = new Set<(event: GatewayEvent) => void>();
  private detach: Array<() => void> = [];
  private readonly started = Date.now();

  constructor(
    private readonly standalone: Standalone,
    version: string,
  ) {
    this.info = { name: 'embedded', mode: 'standalone', endpoint: `proxy ${standalone.proxyAddress}`, version };
  }

  subscribe(listener: (event: GatewayEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    const { core } = this.standalone;
    const emit = (event: GatewayEvent) => this.listeners.forEach((l) => l(event));
    const onRequest = (r: PendingRequest) => emit({ type: 'request', request: toInbox(r, this.standalone.sandbox) });
    const onRevision = (r: Revision) => emit({ type: 'revision', revision: toRevision(r) });
    const onLog = (line: LogLine) => emit({ type: 'log', line });
    core.on('request.pending', onRequest);
    core.on('request.updated', onRequest);
    core.on('request.decided', onRequest);
    core.on('policy.revision', onRevision);
    core.on('log', onLog);
    this.detach = [
      () => core.off('request.pending', onRequest),
      () => core.off('request.updated', onRequest),
      () => core.off('request.decided', onRequest),
      () => core.off('policy.revision', onRevision),
      () => core.off('log', onLog),
    ];
    emit({ type: 'connection', state: { status: 'connected' } });
    emit({
      type: 'snapshot',
      requests: core.listRequests().map((r) => toInbox(r, this.standalone.sandbox)),
      revision: toRevision(core.revision),
      logs: core.logs.since(0),
      sandboxes: [
        { name: this.standalone.sandbox, phase: 'Ready', policyRevision: core.revision.number, pending: 0, createdAt: this.started },
      ],
    });
  }

  async stop(): Promise<void> {
    this.detach.forEach((undo) => undo());
    this.detach = [];
    await this.standalone.stop();
  }

  async approve(id: string, lifetime: Lifetime): Promise<void> {
    this.standalone.core.approve(id, lifetimeOf(lifetime), 'console');
  }

  async reject(id: string, reason?: string): Promise<void> {
    this.standalone.core.reject(id, reason, 'console');
  }

  async approveAll(ids: string[], lifetime: Lifetime): Promise<void> {
    this.standalone.core.approveMany(ids, lifetimeOf(lifetime), 'console');
  }

  async undo(id: string): Promise<void> {
    this.standalone.core.undo(id, 'console');
  }

  async policy(revision?: number): Promise<PolicyView> {
    const { core } = this.standalone;
    const r = revision === undefined ? core.revision : core.revisions.get(revision);
    if (!r) throw new Error(`no revision ${revision}`);
    const origins: Record<string, string> = {};
    for (const [key, layer] of core.effective.origin) origins[key] = layer.kind === 'approval' ? 'session approval' : layer.name;
    return { revision: toRevision(r), yaml: r.yaml, origins };
  }

  async presets(): Promise<PresetSummary[]> {
    return this.standalone.presets.list().map((p) => ({ name: p.name, source: p.source, applied: p.applied, description: p.description }));
  }

  async promote(id: string, request: PromoteRequest): Promise<{ name: string; file: string }> {
    const r = await this.standalone.presets.promote(
      id,
      { name: request.name, description: request.description, access: request.access, anyBinary: request.anyBinary },
      'console',
    );
    return { name: r.name, file: r.file };
  }

  async addPreset(name: string): Promise<void> {
    await this.standalone.presets.add({ name }, false, 'console');
  }

  async removePreset(name: string): Promise<void> {
    await this.standalone.presets.remove(name, false, 'console');
  }

  async applyTier(tier: string): Promise<string[]> {
    if (!TIERS.some((t) => t.name === tier))
      throw new Error(`unknown tier '${tier}'; expected one of: ${TIERS.map((t) => t.name).join(', ')}`);
    return this.standalone.presets.applyTier(tier, 'console');
  }

  async providers(): Promise<ProviderInfo[]> {
    return [];
  }

  async revisions(): Promise<RevisionInfo[]> {
    return this.standalone.core.revisions.list().map(toRevision);
  }
}

function lifetimeOf(text: Lifetime) {
  const lifetime = parseLifetime(text);
  if (!lifetime) throw new Error(`invalid lifetime '${text}'`);
  return lifetime;
}
