// Presets on a running core: every change is audited first (through the core, which refuses a widening
// change under --audit-required when the record cannot be written), then goes through the store (persisted
// atomically), then the core recomputes its effective policy (a new revision) and releases held requests
// it now allows. A change that fails after its record gets a second record saying so. Promote turns an
// inbox entry into a saved preset (merged into one that exists, never silently replacing it) and releases
// every pending entry the new policy allows.
import type { ConfigEvent } from '../audit/audit-log.js';
import type { EnforcementCore } from '../engine/enforcement-core.js';
import type { PendingRequest } from '../inbox/pending-request.js';
import type { AccessPreset } from '../policy/types.js';
import { presetFromRequest, presetYaml } from './promote.js';
import type { AddResult, OnExisting, PresetInfo, PresetStore, SaveChange } from './preset-store.js';
import { presetsForTier } from './tiers.js';

export interface PromoteOptions {
  name: string;
  description?: string;
  access?: AccessPreset;
  anyBinary?: boolean;
  dryRun?: boolean;
  /** A preset of that name exists: merge into it (default), replace it, or refuse. */
  onExisting?: OnExisting;
  /** For a request only ever seen as a CONNECT tunnel: inspect it (default) or keep it a blind tunnel. */
  inspect?: boolean;
}

/** What promoting a tunnel does to TLS, said before and after, so it is never a surprise. */
export interface TunnelNote {
  /** Whether the preset makes the core terminate TLS for this host:port. */
  inspect: boolean;
  /** One sentence for the operator. */
  note: string;
}

export interface PromoteResult {
  name: string;
  file: string;
  /** The preset's YAML as written (or as it would be). */
  yaml: string;
  dryRun: boolean;
  request: PendingRequest;
  /** created, merged (into an existing preset), replaced, or unchanged (already allowed). */
  change: SaveChange;
  /** One sentence: what happened to the preset. */
  summary: string;
  /** Unified YAML diff against the preset as it was (from /dev/null when new); empty when unchanged. */
  diff: string;
  /** Set when the request was a tunnel: whether it is now inspected. */
  tunnel?: TunnelNote;
  /** Ids of the pending entries the new policy allowed, now released (empty on a dry run). */
  released: string[];
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

  /** What promote would do (the diff against the preset as it is), writing nothing: the promote dialog's preview. */
  previewPromote(id: string, options: Omit<PromoteOptions, 'dryRun'>): Promise<PromoteResult> {
    return this.promote(id, { ...options, dryRun: true });
  }

  /**
   * Writes the request's preset (host:port, pinned binary, access from its method) or merges it into the
   * preset of that name, applies it, and releases every pending entry the new policy allows.
   */
  async promote(id: string, options: PromoteOptions, actor = 'operator'): Promise<PromoteResult> {
    const request = this.core.getRequest(id);
    if (!request) throw new Error(`no request with id '${id}'`);
    // A tunnel nobody looked inside records no method or path.
    const isTunnel = request.samples.length === 0;
    const inspect = options.inspect ?? true;
    const doc = presetFromRequest({
      host: request.host,
      port: request.port,
      binary: request.binary,
      method: request.samples[0]?.method,
      name: options.name,
      description: options.description,
      access: options.access,
      anyBinary: options.anyBinary,
      tunnel: isTunnel,
      inspect,
      ...(request.operation ? { operation: request.operation, operationPath: request.operationPath } : {}),
    });
    const name = doc.preset.name;
    const record: ConfigEvent = { change: 'promote', actor, target: `${id} ${request.host}:${request.port}`, detail: name };
    if (!options.dryRun) this.core.recordChange([record], { widens: true });
    const saved = await this.recordingFailure(record, Boolean(options.dryRun), async () => {
      const saved = await this.store.saveCustom(doc, {
        dryRun: options.dryRun,
        onExisting: options.onExisting,
        description: options.description,
      });
      if (!options.dryRun) await this.store.add(name);
      return saved;
    });
    const result: PromoteResult = {
      name,
      file: saved.file,
      yaml: saved.yaml,
      dryRun: Boolean(options.dryRun),
      request,
      change: saved.change,
      summary: saved.summary,
      diff: saved.diff,
      ...(isTunnel ? { tunnel: tunnelNote(request.host, request.port, inspect) } : {}),
      released: [],
    };
    if (options.dryRun) return result;
    this.core.refreshPolicy('preset add', `promote ${id} → ${name}`);
    this.core.log(
      'info',
      'decision',
      `${actor} promoted ${id} ${request.host}:${request.port} to preset ${name} (${saved.summary}; ${saved.file})`,
    );
    if (result.tunnel) this.core.log('info', 'policy', result.tunnel.note);
    // The preset now allows it (and perhaps others waiting): their held connections go at once.
    result.released = this.core.releaseCovered(actor, `allowed by preset ${name}`).map((entry) => entry.id);
    if (request.status === 'pending') {
      // Never approved behind the policy's back: say why it still waits (e.g. an unidentified binary).
      this.core.log(
        'warn',
        'policy',
        `preset ${name} does not allow ${id} ${request.host}:${request.port} (${request.binary}); it still waits`,
      );
    }
    return result;
  }
}

function tunnelNote(host: string, port: number, inspect: boolean): TunnelNote {
  return inspect
    ? {
        inspect,
        note: `${host}:${port} was a tunnel; the preset turns on TLS inspection there (the access is enforced per request; clients must trust the core's CA, as under \`run\`). Choose no inspection to keep a blind tunnel that allows everything inside it.`,
      }
    : {
        inspect,
        note: `${host}:${port} stays an uninspected tunnel: the preset allows everything inside it (no method or path is checked).`,
      };
}
