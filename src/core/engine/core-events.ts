// What the enforcement core tells the world: its events and its health. A leaf module (types only, plus the
// list of request events), so every adapter (the embedded console, the feed, the gRPC server) reads these
// shapes without importing the core itself.
//
// The contract: every change of a request's state goes through the core and is announced by exactly one of
// the three request events, whoever caused it — the operator, a preset or merge that now covers it, a timer,
// a client going away. Each event carries the entry as it is after the change.
import type { PendingRequest } from '../inbox/pending-request.js';
import type { Revision } from '../revisions/revision-log.js';
import type { LogLine } from './log-buffer.js';

/** Something the operator must see once (a banner), not once per request. */
export type CoreNotice =
  /** The inbox reached --max-pending: new destinations are refused at once until it has room again. */
  | { kind: 'inbox-full'; time: number; limit: number; message: string }
  /** The inbox has room again; `refused` requests were turned away while it was full. */
  | { kind: 'inbox-open'; time: number; refused: number; message: string }
  /** The audit log cannot be written: decisions are being made without a record. */
  | { kind: 'audit-failing'; time: number; error: string; message: string }
  /** The audit log is written again; `lost` records were dropped in between. */
  | { kind: 'audit-recovered'; time: number; lost: number; message: string };

export interface InboxHealth {
  /** Entries waiting for a decision, and the cap on them (--max-pending). */
  pending: number;
  maxPending: number;
  /** Requests refused at once because the inbox was full (since start). */
  refused: number;
  /** Connections held open now, and the cap (--max-held). */
  held: number;
  maxHeld: number;
  /** Connections refused at once because maxHeld were already held (since start). */
  heldOverflow: number;
}

export interface AuditHealth {
  /** False while the last write failed (disk full, I/O error): decisions are not being recorded. */
  writable: boolean;
  /** The last error, while not writable. */
  error?: string;
  /** When writing started failing (ms epoch), while not writable. */
  since?: number;
  /** Records lost since start (failed writes, a full queue). */
  lost: number;
  /** --audit-required: approvals are refused while the log is not writable. */
  required: boolean;
}

export interface CoreHealth {
  inbox: InboxHealth;
  audit: AuditHealth;
}

export interface CoreEvents {
  /** A new inbox entry (its first attempt, possibly already held). */
  'request.pending': [PendingRequest];
  /**
   * An entry changed without being decided: another attempt (hits, samples), a connection held or let go
   * (timeout, client gone), an approval undone (back to pending) or lapsed (expired).
   */
  'request.updated': [PendingRequest];
  /** An entry was approved or rejected: by an operator, or by a preset, promote or merge that now covers it. */
  'request.decided': [PendingRequest];
  'policy.revision': [Revision];
  log: [LogLine];
  notice: [CoreNotice];
}

/** The events that carry a request; subscribe to all three to follow the inbox. */
export const REQUEST_EVENTS = ['request.pending', 'request.updated', 'request.decided'] as const;
export type RequestEvent = (typeof REQUEST_EVENTS)[number];
