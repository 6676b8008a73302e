// Session approvals: each is a policy layer allowing exactly one (host, port, binary), kept in memory
// only — a restart forgets them, as `openshell term` approvals are documented to behave. Lifetimes:
// "once" (only the connections held right now), N minutes, or the whole session.
import type { PolicyLayer } from '../policy/layers.js';
import type { NetworkPolicyRule } from '../policy/types.js';

export type ApprovalLifetime = { kind: 'once' } | { kind: 'minutes'; minutes: number } | { kind: 'session' };

export interface SessionApproval {
  requestId: string;
  host: string;
  port: number;
  binary: string;
  approvedAt: number;
  expiresAt?: number;
  by: string;
}

/** Parses "once", "session", "10m", "2h" (CLI and console spellings). */
export function parseLifetime(text: string): ApprovalLifetime | undefined {
  if (text === 'once') return { kind: 'once' };
  if (text === 'session') return { kind: 'session' };
  const m = /^(\d+)\s*(m|min|h)$/.exec(text.trim());
  if (!m) return undefined;
  const minutes = Number(m[1]) * (m[2] === 'h' ? 60 : 1);
  return minutes > 0 ? { kind: 'minutes', minutes } : undefined;
}

export function formatLifetime(lifetime: ApprovalLifetime): string {
  return lifetime.kind === 'minutes' ? `${lifetime.minutes}m` : lifetime.kind;
}

/** The network_policies entry an approval contributes. An unknown binary cannot be pinned, so any binary may use it. */
export function approvalRule(approval: SessionApproval): NetworkPolicyRule {
  const pinned = approval.binary !== 'unknown';
  return {
    name: `session approval ${approval.requestId}`,
    endpoints: [{ host: approval.host, port: approval.port }],
    binaries: [{ path: pinned ? approval.binary : '**' }],
  };
}

export function approvalKey(requestId: string): string {
  return `session_approval_${requestId}`;
}

export function approvalLayer(approval: SessionApproval): PolicyLayer {
  return { kind: 'approval', name: approval.requestId, network_policies: { [approvalKey(approval.requestId)]: approvalRule(approval) } };
}
