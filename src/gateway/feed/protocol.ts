// The WebSocket feed's wire format (JSON text frames), shared by server and client. Documented in the README.
//
// Protocol 2 (this one) differs from 1 in ways an old client can live with:
// - `hello.pending` is the first page of the inbox (at most FIRST_PAGE entries, in id order), no longer the
//   whole of it; `pendingTotal` and `next` say whether more follows, and `requests.page` fetches the rest.
//   A client that took hello.pending as the whole inbox sees only its first page once the inbox is larger;
//   `requests` still returns every entry.
// - `notice` events (the inbox is full, the audit log cannot be written, and their ends) and `health`.
// - A decision applied without its audit record is answered ok:false with `applied: true` and the data,
//   so an old client fails loudly instead of believing it was recorded.
// - A client that stops reading is dropped once MAX_CLIENT_BACKLOG bytes wait for it.
import type { AuditHealth, CoreNotice, InboxHealth } from '../../core/engine/core-events.js';
import type { LogLine } from '../../core/engine/log-buffer.js';
import type { PendingRequest } from '../../core/inbox/pending-request.js';

import type { GatewayErrorCode } from '../errors.js';

export const FEED_PROTOCOL = 2;

export interface RevisionSummary {
  number: number;
  sha256: string;
  time: number;
  cause: string;
  detail: string;
}

export interface Health {
  mode: 'standalone';
  proxy: string;
  /** Entries waiting for a decision, and connections held now (also in `inbox`). */
  pending: number;
  held: number;
  uptimeMs: number;
  inbox: InboxHealth;
  audit: AuditHealth;
}

/** A page of the inbox: entries in id order; `next` is the cursor for the following page, absent on the last. */
export interface RequestPage {
  requests: PendingRequest[];
  next?: string;
  total: number;
}

/** Server → client. */
export type FeedEvent =
  | {
      type: 'hello';
      protocol: number;
      /** The first page of the inbox (all of it when it fits). */
      pending: PendingRequest[];
      pendingTotal: number;
      /** Cursor for `requests.page` when more entries follow. */
      next?: string;
      revision: RevisionSummary;
      health: Health;
      logs: LogLine[];
    }
  | { type: 'request.pending'; request: PendingRequest }
  | { type: 'request.updated'; request: PendingRequest }
  | { type: 'request.decided'; request: PendingRequest }
  | { type: 'policy.revision'; revision: RevisionSummary }
  | { type: 'log'; line: LogLine }
  | { type: 'notice'; notice: CoreNotice }
  | { type: 'result'; ref?: string; ok: true; data?: unknown; warnings?: string[] }
  /**
   * `code`: the error's kind (errors.ts). `applied: true`: the change was made, but its audit record could
   * not be written; `data` is the result.
   */
  | {
      type: 'result';
      ref?: string;
      ok: false;
      error: string;
      code?: GatewayErrorCode;
      applied?: boolean;
      data?: unknown;
      warnings?: string[];
    };

/** Client → server. `ref` is echoed in the result. */
export type FeedCommand =
  | { type: 'requests'; ref?: string }
  | { type: 'requests.page'; after?: string; limit?: number; ref?: string }
  | { type: 'health'; ref?: string }
  | { type: 'approve'; id: string; lifetime?: string; allowUnknownBinary?: boolean; ref?: string }
  | { type: 'reject'; id: string; reason?: string; ref?: string }
  | { type: 'approve-all'; lifetime?: string; allowUnknownBinary?: boolean; ref?: string }
  /** These entries as one change (one revision, one audit write): what a client's approve-all of a chosen set sends. */
  | { type: 'approve-many'; ids: string[]; lifetime?: string; allowUnknownBinary?: boolean; ref?: string }
  | { type: 'undo'; id: string; ref?: string }
  | { type: 'policy.get'; rev?: number; ref?: string }
  | { type: 'revisions'; ref?: string }
  | { type: 'presets'; ref?: string }
  | { type: 'preset.show'; name: string; ref?: string }
  | { type: 'preset.add'; name?: string; file?: string; dir?: string; dryRun?: boolean; ref?: string }
  | { type: 'preset.remove'; name: string; dryRun?: boolean; ref?: string }
  // `run` with a core in another process: listen on a namespace's host-side address (--isolate), and
  // know an agent's pid for binary identity.
  | { type: 'proxy.listen'; host: string; ref?: string }
  | { type: 'agent.register'; pid: number; ref?: string }
  | {
      type: 'promote';
      id: string;
      name: string;
      description?: string;
      access?: 'read-only' | 'read-write' | 'full';
      anyBinary?: boolean;
      dryRun?: boolean;
      /** A preset of that name exists: 'merge' (default), 'replace' or 'refuse'. */
      ifExists?: 'merge' | 'replace' | 'refuse';
      /** A tunnel: inspect it (default true) or keep it a blind tunnel. */
      inspect?: boolean;
      ref?: string;
    };

/** The answer to approve-many (and approve-all's `data` is `approved` alone). */
export interface ApproveManyReply {
  approved: PendingRequest[];
  /** Entries left pending, and why (an unknown binary without allowUnknownBinary). */
  skipped: Array<{ id: string; host: string; port: number; reason: string }>;
}

/** Largest frame a client may send. */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Entries in hello.pending; requests.page returns at most MAX_PAGE (default FIRST_PAGE). */
export const FIRST_PAGE = 200;
export const MAX_PAGE = 1000;
/** Log lines in hello. */
export const HELLO_LOG_LINES = 200;
/** Bytes that may wait unsent for one client before it is dropped (it stopped reading). */
export const MAX_CLIENT_BACKLOG = 8 * 1024 * 1024;

/** What to tell an operator whose audit log is not being written. */
export function auditWarning(audit: AuditHealth): string {
  const since = audit.since ? ` since ${new Date(audit.since).toISOString()}` : '';
  return `the audit log cannot be written${since} (${audit.error ?? 'unknown error'}): decisions are not being recorded (${audit.lost} record${audit.lost === 1 ? '' : 's'} lost)${audit.required ? '; approvals are refused until it can be (--audit-required)' : ''}`;
}
