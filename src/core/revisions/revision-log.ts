// Every change to the effective policy is a revision: number, sha256 of its canonical YAML, time, cause.
import { createHash } from 'node:crypto';
import type { SandboxPolicy } from '../policy/types.js';
import { canonicalPolicyYaml } from './canonical-policy-yaml.js';

export type RevisionCause = 'baseline' | 'preset add' | 'preset remove' | 'merge' | 'approval' | 'undo' | 'expiry' | 'tier';

export interface Revision {
  number: number;
  sha256: string;
  time: number;
  cause: RevisionCause;
  detail: string;
  yaml: string;
}

export class RevisionLog {
  private readonly revisions: Revision[] = [];

  /** Records the policy if it differs from the current one; returns the revision in force. */
  record(policy: SandboxPolicy, cause: RevisionCause, detail: string): Revision {
    return this.commit(this.prepare(policy, cause, detail));
  }

  /**
   * The revision `policy` would be, without recording it: the current one when the policy is unchanged,
   * else the next number. (A change is audited with its revision number before it is applied.)
   */
  prepare(policy: SandboxPolicy, cause: RevisionCause, detail: string): Revision {
    const yaml = canonicalPolicyYaml(policy);
    const sha256 = createHash('sha256').update(yaml).digest('hex');
    const current = this.current();
    if (current && current.sha256 === sha256) return current;
    return { number: (current?.number ?? 0) + 1, sha256, time: Date.now(), cause, detail, yaml };
  }

  /** Records a prepared revision (unless it is the current one, or another was recorded since); returns the one in force. */
  commit(revision: Revision): Revision {
    const current = this.current();
    if (current === revision) return current;
    if (current && current.sha256 === revision.sha256) return current;
    const next = current && revision.number <= current.number ? { ...revision, number: current.number + 1 } : revision;
    this.revisions.push(next);
    return next;
  }

  current(): Revision | undefined {
    return this.revisions[this.revisions.length - 1];
  }

  get(number: number): Revision | undefined {
    return this.revisions.find((r) => r.number === number);
  }

  list(): Revision[] {
    return [...this.revisions];
  }
}
