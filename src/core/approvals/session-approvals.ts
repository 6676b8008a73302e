// Session approvals: each is a policy layer allowing exactly one (host, port, binary), kept in memory
// only — a restart forgets them, as `openshell term` approvals are documented to behave. Lifetimes:
// "once" (only the connections held right now), N minutes, or the whole session.
import { compileHostPattern, exactHostKey, isWildcardHost } from '../policy/host-pattern.js';
import type { PolicyLayer } from '../policy/layers.js';
import { endpointPorts, literalBinaryPath } from '../policy/matcher.js';
import type { L7Operation } from '../inbox/pending-request.js';
import type { L7Rule, NetworkEndpoint, NetworkPolicyRule, SandboxPolicy } from '../policy/types.js';

export type ApprovalLifetime = { kind: 'once' } | { kind: 'minutes'; minutes: number } | { kind: 'session' };

export interface SessionApproval {
  requestId: string;
  host: string;
  port: number;
  binary: string;
  approvedAt: number;
  expiresAt?: number;
  by: string;
  /**
   * The L7-inspected endpoints the policy had for this host and port when it was approved, re-scoped to
   * this host: approving a binary on a host restricted at L7 extends those rules to it, never a blind tunnel.
   */
  endpoints?: NetworkEndpoint[];
  /**
   * An approval of one L7 operation (an MCP tool, a JSON-RPC method, a GraphQL operation) on a host the
   * policy already allows: it allows exactly that operation, on the host's endpoints of that protocol
   * (their deny_rules kept), never the host as a whole.
   */
  operation?: L7Operation;
  /** Where the operation was sent, for an endpoint made from scratch (the host had none of that protocol). */
  operationPath?: string;
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

/**
 * The network_policies entry an approval contributes. An unknown binary cannot be pinned, so any binary
 * may use it; a known one is matched literally (a path with `*` in it names one file, not a glob).
 */
export function approvalRule(approval: SessionApproval): NetworkPolicyRule {
  const pinned = approval.binary !== 'unknown';
  return {
    name: `session approval ${approval.requestId}`,
    endpoints: approval.operation
      ? operationEndpoints(approval, approval.operation)
      : approval.endpoints && approval.endpoints.length > 0
        ? structuredClone(approval.endpoints)
        : [{ host: approval.host, port: approval.port }],
    binaries: [{ path: pinned ? literalBinaryPath(approval.binary) : '**' }],
  };
}

/** The one allow rule that admits exactly `op` (the protocol's own rule shape, as upstream writes it). */
export function operationRule(op: L7Operation): L7Rule {
  if (op.kind === 'graphql') {
    return {
      allow: op.operationName
        ? { operation_type: op.operationType, operation_name: op.operationName }
        : { operation_type: op.operationType },
    };
  }
  if (op.kind === 'mcp' && op.tool !== undefined) return { allow: { method: op.method, tool: op.tool } };
  return { allow: { method: op.method } };
}

/**
 * The host's endpoints of the operation's protocol with their allow rules replaced by the one rule for it
 * (access presets dropped, deny_rules kept: an approval never lifts a deny rule); an endpoint of that
 * protocol made from scratch when the host had none.
 */
function operationEndpoints(approval: SessionApproval, op: L7Operation): NetworkEndpoint[] {
  const rule = operationRule(op);
  const same = (approval.endpoints ?? []).filter((ep) => (ep.protocol ?? '').trim().toLowerCase() === op.kind);
  if (same.length === 0) {
    const ep: NetworkEndpoint = { host: approval.host, port: approval.port, protocol: op.kind, enforcement: 'enforce', rules: [rule] };
    if (approval.operationPath) ep.path = approval.operationPath;
    return [ep];
  }
  return same.map((ep) => {
    const { access: _access, rules: _rules, ...rest } = structuredClone(ep);
    return { ...rest, enforcement: 'enforce', rules: [rule] };
  });
}

/** Fields that make an endpoint inspected: an approval on its host must carry them along. */
function inspected(ep: NetworkEndpoint): boolean {
  const protocol = (ep.protocol ?? '').trim().toLowerCase();
  return protocol !== '' && protocol !== 'tcp';
}

/**
 * The approval with the L7 endpoints `policy` has for its host and port (exact or wildcard host), each
 * re-scoped to exactly this host and port. Without any, the approval stays an L4 allow.
 */
export function keepHostL7(approval: SessionApproval, policy: SandboxPolicy): SessionApproval {
  const key = exactHostKey(approval.host);
  const endpoints: NetworkEndpoint[] = [];
  for (const rule of Object.values(policy.network_policies ?? {})) {
    for (const ep of rule.endpoints ?? []) {
      if (!inspected(ep) || !endpointPorts(ep).includes(approval.port)) continue;
      const host = ep.host ?? '';
      const hostMatches =
        host === ''
          ? (ep.allowed_ips ?? []).length > 0
          : isWildcardHost(host)
            ? compileHostPattern(host)(approval.host)
            : exactHostKey(host) === key;
      if (!hostMatches) continue;
      const { ports: _ports, ...rest } = structuredClone(ep);
      endpoints.push({ ...rest, host: approval.host, port: approval.port });
    }
  }
  return endpoints.length > 0 ? { ...approval, endpoints } : approval;
}

export function approvalKey(requestId: string): string {
  return `session_approval_${requestId}`;
}

export function approvalLayer(approval: SessionApproval): PolicyLayer {
  return { kind: 'approval', name: approval.requestId, network_policies: { [approvalKey(approval.requestId)]: approvalRule(approval) } };
}
