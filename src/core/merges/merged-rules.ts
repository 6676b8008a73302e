// The layer that UpdateConfig merge operations write to on the embedded core: rules added or edited
// over the gateway API, persisted in the state dir (write-then-rename, 0600) and loaded at every start.
// It sits above presets, so an edit to a preset's rule shadows it here instead of rewriting the preset.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { ComposedPolicy, PolicyLayer } from '../policy/layers.js';
import { applyMergeOperations, MergeError, type MergeOperation, type NetworkPolicies } from '../policy/merge-operations.js';
import { formatProblem, parsePolicyText } from '../policy/source.js';
import { canonicalYaml } from '../revisions/canonical-yaml.js';

export const MERGED_RULES_FILE = 'merged-rules.yaml';
export const MERGED_LAYER_NAME = 'merged (UpdateConfig)';

export class MergedRules {
  private constructor(
    private readonly file: string,
    private rules: NetworkPolicies,
  ) {}

  static async open(stateDir: string): Promise<MergedRules> {
    const file = join(stateDir, MERGED_RULES_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new MergedRules(file, {});
      throw error;
    }
    const loaded = parsePolicyText(text, file, 'policy');
    if (loaded.errors.length > 0 || loaded.document?.kind !== 'policy')
      throw new Error(loaded.errors.map(formatProblem).join('\n') || `${file}: not a policy`);
    return new MergedRules(file, loaded.document.policy.network_policies);
  }

  layer(): PolicyLayer {
    return { kind: 'merge', name: MERGED_LAYER_NAME, network_policies: this.rules };
  }

  /**
   * Applies the operations to the effective policy and keeps, in this layer, exactly the entries that
   * now differ from what the lower layers give. Removing an entry another layer provides is refused:
   * that layer (a preset, the baseline) is where it has to go.
   */
  async apply(operations: readonly MergeOperation[], effective: ComposedPolicy): Promise<string[]> {
    const plan = this.prepare(operations, effective);
    await this.commit(plan);
    return plan.changed;
  }

  /** What apply() would write, validated, without writing it (so the change can be audited first). */
  prepare(operations: readonly MergeOperation[], effective: ComposedPolicy): MergePlan {
    const before = effective.policy.network_policies;
    const after = applyMergeOperations(before, operations);
    const next: NetworkPolicies = {};
    const changed: string[] = [];
    for (const [key, rule] of Object.entries(after)) {
      const fromHere = effective.origin.get(key)?.kind === 'merge';
      const differs = !(key in before) || canonicalYaml(before[key]) !== canonicalYaml(rule);
      if (differs) changed.push(key);
      if (fromHere || differs) next[key] = rule;
    }
    for (const key of Object.keys(before)) {
      if (key in after) continue;
      const origin = effective.origin.get(key);
      if (origin && origin.kind !== 'merge') {
        throw new MergeError(
          `'${key}' comes from ${origin.kind === 'preset' ? `preset '${origin.name}'` : origin.kind === 'approval' ? 'a session approval' : 'the baseline'}; remove it there`,
        );
      }
      changed.push(key);
    }
    const text = stringify({ version: 1, network_policies: next });
    // open() validates this file at every start: a result it would refuse is refused here, not persisted.
    const check = parsePolicyText(text, this.file, 'policy');
    if (check.errors.length > 0) throw new MergeError(`the merged rules would not load: ${check.errors.map((e) => e.message).join('; ')}`);
    return { changed, next, text };
  }

  /** Persists a prepared change (write-then-rename) and makes it this layer's content. */
  async commit(plan: MergePlan): Promise<void> {
    await writeFileAtomic(this.file, plan.text, { mode: 0o600 });
    this.rules = plan.next;
  }
}

export interface MergePlan {
  /** network_policies keys the operations change. */
  changed: string[];
  next: NetworkPolicies;
  /** The file's new content. */
  text: string;
}
