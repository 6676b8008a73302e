// Merge operations on a running core: persisted in the merged layer first, then the core recomputes its
// policy (one revision for the batch), the change is audited, and requests it now allows proceed.
import type { AuditLog } from '../audit/audit-log.js';
import type { EnforcementCore } from '../engine/enforcement-core.js';
import type { MergeOperation } from '../policy/merge-operations.js';
import type { Revision } from '../revisions/revision-log.js';
import type { MergedRules } from './merged-rules.js';

export class MergeManager {
  constructor(
    private readonly merged: MergedRules,
    private readonly core: EnforcementCore,
    private readonly audit?: AuditLog,
  ) {}

  async apply(operations: readonly MergeOperation[], actor = 'operator'): Promise<{ revision: Revision; changed: string[] }> {
    const changed = await this.merged.apply(operations, this.core.effective);
    const detail = changed.length > 0 ? changed.join(', ') : 'no change';
    const revision = this.core.refreshPolicy('merge', detail);
    if (changed.length > 0) {
      this.audit?.config({ change: 'merge', actor, target: detail, revision: revision.number });
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
