// What the audit log records: one network decision, or one operator change. A leaf module, so the log and its
// OCSF mapping both read these shapes without importing each other.
export interface NetworkEvent {
  /** 'failed': allowed, but the upstream could not be reached or failed (the reason says how). */
  action: 'allowed' | 'denied' | 'held' | 'failed';
  host: string;
  port: number;
  binary: string;
  pid?: number;
  method?: string;
  /** Logged without its query string; token-like segments are redacted. */
  path?: string;
  policy: string | null;
  stage: string;
  reason: string;
  audit?: boolean;
  requestId?: string;
}

export interface ConfigEvent {
  change: 'approve' | 'reject' | 'undo' | 'approve-all' | 'preset-add' | 'preset-remove' | 'promote' | 'tier' | 'merge';
  actor: string;
  target: string;
  detail?: string;
  revision?: number;
  /**
   * A change is recorded before it is applied (audit first); when applying it then fails, a second record
   * with outcome 'failure' says so. Absent: the change is made.
   */
  outcome?: 'failure';
}
