// Every change to the effective policy is a revision: number, sha256 of its canonical YAML, time, cause.
import { createHash } from 'node:crypto';
import type { SandboxPolicy } from '../policy/types.js';
import { canonicalYaml } from './canonical-yaml.js';

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
    const yaml = canonicalYaml(policy);
    const sha256 = createHash('sha256').update(yaml).digest('hex');
    const current = this.current();
    if (current && current.sha256 === sha256) return current;
    const revision: Revision = { number: (current?.number ?? 0) + 1, sha256, time: Date.now(), cause, detail, yaml };
    this.revisions.push(revision);
    return revision;
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
