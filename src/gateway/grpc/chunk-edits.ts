// Editing a draft chunk before approving it (EditDraftChunk), limited to narrowing: fewer ports, fewer
// binaries, L7 paths within what was proposed, allowed_ips pinned. A "narrowed" rule that in fact
// reaches further than the proposal is refused here, so an edit can never widen what the agent asked for.
import type { NetworkEndpoint, NetworkPolicyRule } from '../../core/policy/types.js';
import { allowedIpProblem } from '../../core/policy/ip.js';
import type { ChunkNarrowing } from '../gateway.js';
import { GatewayError } from './grpc-errors.js';

export type { ChunkNarrowing };

const portsOf = (e: NetworkEndpoint): number[] => [...new Set([...(e.ports ?? []), ...(e.port ? [e.port] : [])])];

/** Glob `**` / `*` matching for paths, to check a narrowed path stays inside a proposed one. */
function pathWithin(path: string, pattern: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('**')
      .map((part) =>
        part
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]*'),
      )
      .join('.*')}$`,
  );
  return re.test(path);
}

/** An absolute path with no glob characters. */
export const literalPath = (path: string) => path.startsWith('/') && !/[*?[\]{}]/.test(path);

export function narrowRule(proposed: NetworkPolicyRule, change: ChunkNarrowing): NetworkPolicyRule {
  const rule: NetworkPolicyRule = structuredClone(proposed);
  if (change.binaries) {
    // A binary is matched by its exact path: a pattern would be a widening nobody reviewed.
    const patterns = change.binaries.filter((b) => !literalPath(b));
    if (patterns.length)
      throw new GatewayError('invalid-argument', `binaries must be literal absolute paths (no globs): ${patterns.join(', ')}`);
    const have = new Set(rule.binaries.map((b) => b.path));
    const extra = change.binaries.filter((b) => !have.has(b));
    // A proposal with no binaries allows any; naming some narrows it.
    if (have.size > 0 && extra.length)
      throw new GatewayError('invalid-argument', `not in the proposal, so not a narrowing: ${extra.join(', ')}`);
    if (change.binaries.length === 0) throw new GatewayError('invalid-argument', 'keep at least one binary (none would allow any)');
    rule.binaries = change.binaries.map((path) => ({ path }));
  }
  rule.endpoints = rule.endpoints.map((endpoint) => {
    const e: NetworkEndpoint = { ...endpoint };
    if (change.ports) {
      const have = portsOf(e);
      const extra = change.ports.filter((p) => !have.includes(p));
      if (extra.length) throw new GatewayError('invalid-argument', `port ${extra.join(', ')} is not in the proposal for ${e.host}`);
      if (change.ports.length === 0) throw new GatewayError('invalid-argument', 'keep at least one port');
      delete e.port;
      delete e.ports;
      if (change.ports.length === 1) e.port = change.ports[0];
      else e.ports = [...change.ports].sort((a, b) => a - b);
    }
    if (change.paths) {
      const proposedPaths = (e.rules ?? []).map((r) => r.allow.path).filter((p): p is string => !!p);
      const outside = change.paths.filter((p) => proposedPaths.length > 0 && !proposedPaths.some((pp) => pathWithin(p, pp)));
      if (outside.length)
        throw new GatewayError('invalid-argument', `outside the proposed paths (${proposedPaths.join(', ')}): ${outside.join(', ')}`);
      const method = (e.rules ?? [])[0]?.allow.method ?? 'GET';
      e.protocol = e.protocol || 'rest';
      delete e.access;
      e.rules = change.paths.map((path) => ({ allow: { method, path } }));
    }
    if (change.allowedIps) {
      const bad = change.allowedIps.map((ip) => [ip, allowedIpProblem(ip)] as const).filter(([, p]) => p);
      if (bad.length) throw new GatewayError('invalid-argument', bad.map(([ip, p]) => `${ip}: ${p}`).join('; '));
      if (change.allowedIps.length === 0) throw new GatewayError('invalid-argument', 'give at least one allowed IP or CIDR');
      e.allowed_ips = [...change.allowedIps];
    }
    return e;
  });
  return rule;
}
