// The destination guard upstream's proxy applies after a policy matched (proxy/destination.rs). One plan
// is chosen, in this order:
//   1. the matched endpoint declares allowed_ips → every address must be in them and not always-blocked;
//   2. the request host is itself an IP literal (not always-blocked) → that address is its own allowlist;
//   3. a matching policy declares this exact host (no wildcard) → private ranges are fine, only
//      loopback / link-local / unspecified are refused (the operator named the host: that is the trust signal);
//   4. otherwise → public addresses only (no RFC 1918, CGNAT, ULA, documentation, … either).
// Plans 1–3 also refuse Kubernetes/etcd control-plane ports. Without resolved addresses only the checks
// that need none (ports, IP-literal hosts) apply.
import { allowedIpProblem, classifyIp, compileAllowedIps, ipInList, isAlwaysBlocked, normalizeIp } from './ip.js';
import type { CompiledEndpoint } from './matcher.js';
import type { DecisionRequest } from './types.js';

export const CONTROL_PLANE_PORTS: ReadonlySet<number> = new Set([2379, 2380, 6443, 10250, 10255]);

/**
 * Returns why the destination is refused, or undefined when it may be dialled. With `allowLoopback`
 * (the core's --allow-loopback) loopback addresses pass on every plan, however the policy names them
 * (127.0.0.1, [::1], localhost); link-local, metadata and unspecified addresses stay refused.
 */
export function checkDestination(request: DecisionRequest, matching: CompiledEndpoint[], allowLoopback = false): string | undefined {
  const host = request.host;
  // Fast path: a DNS name (ends in a letter, no ':' as every IPv6 literal has) with no resolved addresses
  // leaves nothing to check.
  if (request.resolved_ips === undefined && !CONTROL_PLANE_PORTS.has(request.port) && /[a-z]$/i.test(host) && !host.includes(':')) {
    return undefined;
  }
  const config = matching.find((ep) => ep.extended);
  const allowedIps = config?.endpoint.allowed_ips ?? [];
  const literal = normalizeIp(host);
  const addresses = request.resolved_ips ?? (literal ? [literal] : undefined);
  if (addresses && addresses.length === 0) return `DNS resolution returned no addresses for ${host}`;
  for (const ip of addresses ?? []) {
    if (!normalizeIp(ip)) return `resolved address '${ip}' is not an IP address`;
  }
  const controlPlane = () =>
    CONTROL_PLANE_PORTS.has(request.port) ? `port ${request.port} is a blocked control-plane port, connection rejected` : undefined;

  if (allowedIps.length > 0) {
    // Upstream's parse_allowed_ips refuses the whole list when any entry is malformed or could never work.
    const problems = allowedIps.map(allowedIpProblem).filter((p): p is string => p !== undefined);
    if (problems.length > 0) return problems.join('; ');
    const blocked = controlPlane();
    if (blocked) return blocked;
    const list = compileAllowedIps(allowedIps);
    for (const ip of addresses ?? []) {
      if (isAlwaysBlocked(ip, allowLoopback)) return `${host} resolves to always-blocked address ${ip}, connection rejected`;
      if (!ipInList(list, ip)) return `${host} resolves to ${ip} which is not in allowed_ips, connection rejected`;
    }
    return undefined;
  }
  if (literal && !isAlwaysBlocked(literal, allowLoopback)) {
    const blocked = controlPlane();
    if (blocked) return blocked;
    for (const ip of addresses ?? []) {
      if (isAlwaysBlocked(ip, allowLoopback)) return `${host} resolves to always-blocked address ${ip}, connection rejected`;
      if (normalizeIp(ip) !== literal) return `${host} resolves to ${ip} which is not in allowed_ips, connection rejected`;
    }
    return undefined;
  }
  if (matching.some((ep) => ep.kind === 'exact')) {
    const blocked = controlPlane();
    if (blocked) return blocked;
    for (const ip of addresses ?? []) {
      if (isAlwaysBlocked(ip, allowLoopback)) return `${host} resolves to always-blocked address ${ip}, connection rejected`;
    }
    return undefined;
  }
  for (const ip of addresses ?? []) {
    const cls = classifyIp(ip);
    if (cls !== 'public' && !(allowLoopback && cls === 'loopback'))
      return `${host} resolves to internal address ${ip}, connection rejected`;
  }
  return undefined;
}
