// The WebSocket feed's wire format (JSON text frames), shared by server and client. Documented in the README.
import type { PendingRequest } from '../../core/inbox/pending-request.js';
import type { LogLine } from '../../core/engine/log-buffer.js';
import type { GatewayErrorCode } from '../errors.js';

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
  pending: number;
  held: number;
  uptimeMs: number;
}

/** Server → client. */
export type FeedEvent =
  | { type: 'hello'; pending: PendingRequest[]; revision: RevisionSummary; health: Health; logs: LogLine[] }
  | { type: 'request.pending'; request: PendingRequest }
  | { type: 'request.updated'; request: PendingRequest }
  | { type: 'request.decided'; request: PendingRequest }
  | { type: 'policy.revision'; revision: RevisionSummary }
  | { type: 'log'; line: LogLine }
  | { type: 'result'; ref?: string; ok: true; data?: unknown }
  | { type: 'result'; ref?: string; ok: false; error: string; code?: GatewayErrorCode };

/** Client → server. `ref` is echoed in the result. */
export type FeedCommand =
  | { type: 'requests'; ref?: string }
  | { type: 'approve'; id: string; lifetime?: string; ref?: string }
  | { type: 'reject'; id: string; reason?: string; ref?: string }
  | { type: 'approve-all'; lifetime?: string; ref?: string }
  | { type: 'undo'; id: string; ref?: string }
  | { type: 'policy.get'; rev?: number; ref?: string }
  | { type: 'revisions'; ref?: string }
  | { type: 'presets'; ref?: string }
  | { type: 'preset.show'; name: string; ref?: string }
  | { type: 'preset.add'; name?: string; file?: string; dir?: string; dryRun?: boolean; ref?: string }
  | { type: 'preset.remove'; name: string; dryRun?: boolean; ref?: string }
  | {
      type: 'promote';
      id: string;
      name: string;
      description?: string;
      access?: 'read-only' | 'read-write' | 'full';
      anyBinary?: boolean;
      dryRun?: boolean;
      ref?: string;
    };

export const MAX_FRAME_BYTES = 1024 * 1024;
