// Presets on a running core: every change is audited first (through the core, which refuses a widening
// change under --audit-required when the record cannot be written), then goes through the store (persisted
// atomically), then the core recomputes its effective policy (a new revision) and releases held requests
// it now allows. A change that fails after its record gets a second record saying so. Promote turns an
// inbox entry into a saved preset and lets its held requests proceed.
import type { ConfigEvent } from '../audit/audit-log.js';
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
  ) {}

  list(): PresetInfo[] {
    return this.store.list();
  }

  show(name: string): string | undefined {
    const doc = this.store.get(name);
    return doc ? presetYaml(doc) : undefined;
  }

  async add(source: { name?: string; file?: string; dir?: string }, dryRun = false, actor = 'operator'): Promise<AddResult[]> {
    const target = source.dir ? `--from-dir ${source.dir}` : source.file ? `--from-file ${source.file}` : (source.name ?? '');
    const record: ConfigEvent = { change: 'preset-add', actor, target };
    if (!dryRun) this.core.recordChange([record], { widens: true });
    const results = await this.recordingFailure(record, dryRun, async () =>
      source.dir
        ? await this.store.addFromDir(source.dir, { dryRun })
        : [source.file ? await this.store.addFromFile(source.file, { dryRun }) : await this.store.add(source.name ?? '', { dryRun })],
    );
    if (!dryRun && results.length > 0) {
      const names = results.map((r) => r.name).join(', ');
      this.core.refreshPolicy('preset add', names);
      this.core.releaseCovered(actor, `allowed by preset ${names}`);
    }
    return results;
  }

  async remove(name: string, dryRun = false, actor = 'operator'): Promise<void> {
    const record: ConfigEvent = { change: 'preset-remove', actor, target: name };
    if (!dryRun) this.core.recordChange([record], { widens: false });
    await this.recordingFailure(record, dryRun, () => this.store.remove(name, { dryRun }));
    if (dryRun) return;
    this.core.refreshPolicy('preset remove', name);
  }

  /** Applies every preset of a tier not applied yet (restricted: none). */
  async applyTier(tier: string, actor = 'operator'): Promise<string[]> {
    const wanted = presetsForTier(tier).filter((name) => !this.store.applied().includes(name));
    if (wanted.length === 0) return wanted;
    const record: ConfigEvent = { change: 'tier', actor, target: tier, detail: wanted.join(', ') };
    this.core.recordChange([record], { widens: true });
    await this.recordingFailure(record, false, async () => {
      for (const name of wanted) await this.store.add(name);
    });
    this.core.refreshPolicy('tier', `${tier}: ${wanted.join(', ')}`);
    this.core.releaseCovered(actor, `allowed by tier ${tier}`);
    return wanted;
  }

  /** Runs a change recorded beforehand; when it fails, records that it failed (and rethrows). */
  private async recordingFailure<T>(record: ConfigEvent, dryRun: boolean, change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } catch (error) {
      if (!dryRun)
        this.core.recordChange([{ ...record, outcome: 'failure', detail: `failed: ${(error as Error).message}` }], { widens: false });
      throw error;
    }
  }

  /** Writes the request's preset (host:port, pinned binary, access from its method) and applies it. */
  async promote(id: string, options: PromoteOptions, actor = 'operator'): Promise<PromoteResult> {
    const request = this.core.getRequest(id);
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
    const record: ConfigEvent = { change: 'promote', actor, target: `${id} ${request.host}:${request.port}`, detail: doc.preset.name };
    if (!options.dryRun) this.core.recordChange([record], { widens: true });
    const saved = await this.recordingFailure(record, Boolean(options.dryRun), async () => {
      const saved = await this.store.saveCustom(doc, { dryRun: options.dryRun });
      if (!options.dryRun) await this.store.add(doc.preset.name);
      return saved;
    });
    if (options.dryRun) return { name: doc.preset.name, file: saved.file, yaml: saved.yaml, dryRun: true, request };
    this.core.refreshPolicy('preset add', `promote ${id} → ${doc.preset.name}`);
    // The preset now allows it: the core lets the waiting connections go and shows the entry as approved.
    this.core.releaseCovered(actor, `promoted to preset ${doc.preset.name}`);
    this.core.log(
      'info',
      'decision',
      `${actor} promoted ${id} ${request.host}:${request.port} to preset ${doc.preset.name} (${saved.file})`,
    );
    return { name: doc.preset.name, file: saved.file, yaml: saved.yaml, dryRun: false, request };
  }
}
