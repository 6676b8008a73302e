// Presets on a running core: every change goes through the store (persisted atomically), then the core
// recomputes its effective policy (a new revision) and the change is audited. Promote turns an inbox
// entry into a saved preset and lets its held requests proceed.
import type { AuditLog } from '../audit/audit-log.js';
import type { EnforcementCore } from '../engine/enforcement-core.js';
import type { PendingRequest } from '../inbox/pending-request.js';
import type { AccessPreset } from '../policy/types.js';
import { presetFromRequest, presetYaml } from './promote.js';
import type { AddResult, PresetInfo, PresetStore } from './preset-store.js';
import { presetsForTier } from './tiers.js';

export interface PromoteOptions {
  name: string;
  description?: string;
  access?: AccessPreset;
  anyBinary?: boolean;
  dryRun?: boolean;
}

export interface PromoteResult {
  name: string;
  file: string;
  yaml: string;
  dryRun: boolean;
  request: PendingRequest;
}

export class PresetManager {
  constructor(
    private readonly store: PresetStore,
    private readonly core: EnforcementCore,
    private readonly audit?: AuditLog,
  ) {}

  list(): PresetInfo[] {
    return this.store.list();
  }

  show(name: string): string | undefined {
    const doc = this.store.get(name);
    return doc ? presetYaml(doc) : undefined;
  }

  async add(source: { name?: string; file?: string; dir?: string }, dryRun = false, actor = 'operator'): Promise<AddResult[]> {
    const results = source.dir
      ? await this.store.addFromDir(source.dir, { dryRun })
      : [source.file ? await this.store.addFromFile(source.file, { dryRun }) : await this.store.add(source.name ?? '', { dryRun })];
    if (!dryRun && results.length > 0) {
      const names = results.map((r) => r.name).join(', ');
      this.core.refreshPolicy('preset add', names);
      this.audit?.config({ change: 'preset-add', actor, target: names, revision: this.core.revision.number });
    }
    return results;
  }

  async remove(name: string, dryRun = false, actor = 'operator'): Promise<void> {
    await this.store.remove(name, { dryRun });
    if (dryRun) return;
    this.core.refreshPolicy('preset remove', name);
    this.audit?.config({ change: 'preset-remove', actor, target: name, revision: this.core.revision.number });
  }

  /** Applies every preset of a tier not applied yet (restricted: none). */
  async applyTier(tier: string, actor = 'operator'): Promise<string[]> {
    const wanted = presetsForTier(tier).filter((name) => !this.store.applied().includes(name));
    for (const name of wanted) await this.store.add(name);
    if (wanted.length > 0) {
      this.core.refreshPolicy('tier', `${tier}: ${wanted.join(', ')}`);
      this.audit?.config({ change: 'tier', actor, target: tier, detail: wanted.join(', '), revision: this.core.revision.number });
    }
    return wanted;
  }

  /** Writes the request's preset (host:port, pinned binary, access from its method) and applies it. */
  async promote(id: string, options: PromoteOptions, actor = 'operator'): Promise<PromoteResult> {
    const request = this.core.inbox.get(id);
    if (!request) throw new Error(`no request with id '${id}'`);
    const doc = presetFromRequest({
      host: request.host,
      port: request.port,
      binary: request.binary,
      method: request.samples[0]?.method,
      name: options.name,
      description: options.description,
      access: options.access,
      anyBinary: options.anyBinary,
    });
    const saved = await this.store.saveCustom(doc, { dryRun: options.dryRun });
    if (options.dryRun) return { name: doc.preset.name, file: saved.file, yaml: saved.yaml, dryRun: true, request };
    await this.store.add(doc.preset.name);
    this.core.refreshPolicy('preset add', `promote ${id} → ${doc.preset.name}`);
    this.audit?.config({
      change: 'promote',
      actor,
      target: `${id} ${request.host}:${request.port}`,
      detail: doc.preset.name,
      revision: this.core.revision.number,
    });
    // The preset now allows it: let the waiting connections go, and show the entry as approved.
    if (request.status === 'pending') this.core.inbox.decide(request, 'approved', actor, `promoted to preset ${doc.preset.name}`);
    this.core.log(
      'info',
      'decision',
      `${actor} promoted ${id} ${request.host}:${request.port} to preset ${doc.preset.name} (${saved.file})`,
    );
    return { name: doc.preset.name, file: saved.file, yaml: saved.yaml, dryRun: false, request };
  }
}
