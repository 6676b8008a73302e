// What a request's row says at a glance: one of seven statuses (pending, held with a countdown, approved,
// rejected, timed out, expired, error), derived from the entry as the gateway sent it. Pure: the inbox
// table, the detail view and the tests read the same answer.
import type { InboxRequest } from '../../gateway/gateway.js';

export type RowStatus = 'pending' | 'held' | 'approved' | 'rejected' | 'timedout' | 'expired' | 'error';
export const ROW_STATUSES: readonly RowStatus[] = ['pending', 'held', 'approved', 'rejected', 'timedout', 'expired', 'error'];

/**
 * The row's status. A failure (TLS with the agent, the upstream) shows until the next decision on the
 * entry; a connection held now wins over an older timeout.
 */
export function rowStatus(r: InboxRequest): RowStatus {
  if (r.failure && r.failure.time >= (r.decidedAt ?? 0)) return 'error';
  if (r.held > 0) return 'held';
  if (r.status === 'pending' && r.timedOutAt !== undefined) return 'timedout';
  return r.status;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

function shortSpan(ms: number): string {
  const s = seconds(ms);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.ceil(s / 60)}m`;
  return `${Math.ceil(s / 3600)}h`;
}

/** The status as words: "held 19s", "approved 9m" (time left), "error 502", "error TLS", "timed out". */
export function rowStatusText(r: InboxRequest, now: number): string {
  const status = rowStatus(r);
  switch (status) {
    case 'held':
      return r.holdDeadline ? `held ${seconds(r.holdDeadline - now)}s` : 'held';
    case 'approved':
      return r.expiresAt ? `approved ${shortSpan(r.expiresAt - now)}` : 'approved';
    case 'timedout':
      return 'timed out';
    case 'pending':
      // A denial seen on the watch stream before the gateway drafted its proposal (upgraded in place).
      return r.awaitingProposal ? 'awaiting proposal' : 'pending';
    case 'error':
      return r.failure?.kind === 'tls' ? 'error TLS' : `error ${r.failure?.status ?? 'upstream'}`;
    default:
      return status;
  }
}

/** The failure on an entry as the detail view explains it, or undefined when none shows. */
export function failureSummary(r: InboxRequest): { what: string; fix?: string } | undefined {
  if (rowStatus(r) !== 'error' || !r.failure) return undefined;
  const f = r.failure;
  const what =
    f.kind === 'tls'
      ? `TLS handshake with the agent failed: ${f.cause}`
      : `upstream failed${f.status ? ` (the agent got ${f.status})` : ''}: ${f.cause}`;
  return { what, fix: f.fix };
}
