// Merge operations on a running core: validated, audited first (through the core, which refuses them under
// --audit-required when the record cannot be written), then persisted in the merged layer, then the core
// recomputes its policy (one revision for the batch) and releases the requests it now allows.
import type { ConfigEvent } from '../audit/audit-log.js';
import type { EnforcementCore } from '../engine/enforcement-core.js';
import type { MergeOperation } from '../policy/merge-operations.js';
import type { Revision } from '../revisions/revision-log.js';
import type { MergedRules } from './merged-rules.js';

export class MergeManager {
  constructor(
    private readonly merged: MergedRules,
    private readonly core: EnforcementCore,
  ) {}

  async apply(operations: readonly MergeOperation[], actor = 'operator'): Promise<{ revision: Revision; changed: string[] }> {
    const plan = this.merged.prepare(operations, this.core.effective);
    const { changed } = plan;
    const detail = changed.length > 0 ? changed.join(', ') : 'no change';
    if (changed.length > 0) {
      const record: ConfigEvent = { change: 'merge', actor, target: detail };
      this.core.recordChange([record], { widens: true });
      try {
        await this.merged.commit(plan);
      } catch (error) {
        this.core.recordChange([{ ...record, outcome: 'failure', detail: `failed: ${(error as Error).message}` }], { widens: false });
        throw error;
      }
    }
    const revision = this.core.refreshPolicy('merge', detail);
    if (changed.length > 0) {
      const released = this.core.releaseCovered(actor, `allowed by merged rules (${detail})`);
      this.core.log(
        'info',
        'policy',
        `${actor} merged ${operations.length} operation(s) into ${detail}${released.length ? `; released ${released.map((r) => r.id).join(', ')}` : ''}`,
      );
    }
    return { revision, changed };
  }
}
