// One decision, end to end: L4 match (host, port, binary) → address guard → L7 rules when the endpoint
// inspects traffic. Mirrors upstream's Rego (network_action, allow_request, deny_request) plus the
// checks its proxy makes in Rust (SSRF guard, path canonicalisation, audit mode).
import { canonicalizePath } from './canonical-path.js';
import { allowRuleMatches, denyRuleMatches, pathMatches, type L7Request } from './l7.js';
import { binaryAllowed, type CompiledEndpoint, type CompiledPolicy } from './matcher.js';
import { checkDestination } from './ssrf.js';
import type { Decision, DecisionRequest } from './types.js';

/** Protocols whose requests we can judge from method, path and query. */
const REST_LIKE = new Set(['rest', 'websocket']);

export function decide(compiled: CompiledPolicy, request: DecisionRequest): Decision {
  const target = `${request.host}:${request.port}`;
  const endpoints = compiled.endpointsFor(request.host, request.port);

  if (endpoints.length === 0) {
    const reason =
      compiled.rules.size === 0 ? 'network connections not allowed by policy' : `endpoint ${target} is not allowed by any policy`;
    return { outcome: 'deny', policy: null, stage: 'no_match', audit: false, reason };
  }
  const matchedKeys: string[] = [];
  const binaryMisses: string[] = [];
  for (const ep of endpoints) {
    if (matchedKeys.includes(ep.policyKey) || binaryMisses.includes(ep.policyKey)) continue;
    if (binaryAllowed(compiled.rules.get(ep.policyKey)!, request.binary)) matchedKeys.push(ep.policyKey);
    else binaryMisses.push(ep.policyKey);
  }
  if (matchedKeys.length === 0) {
    let reason: string;
    if (compiled.rules.size === 0) reason = 'network connections not allowed by policy';
    else if (binaryMisses.length > 0) {
      reason = binaryMisses.map((key) => `binary '${request.binary}' not allowed in policy '${key}'`).join('; ');
    } else reason = `endpoint ${target} is not allowed by any policy`;
    return { outcome: 'deny', policy: null, stage: 'no_match', audit: false, reason };
  }

  // endpointsFor returns policy-key order, so the first key is the lexicographically smallest, as upstream logs it.
  const policy = matchedKeys[0];
  const matching = binaryMisses.length === 0 ? endpoints : endpoints.filter((ep) => matchedKeys.includes(ep.policyKey));
  const config = matching.find((ep) => ep.extended);

  const blocked = checkDestination(request, matching);
  if (blocked) return { outcome: 'deny', policy, stage: 'ssrf', audit: false, reason: blocked };

  const protocol = (config?.endpoint.protocol ?? '').toLowerCase();
  if (!config || !REST_LIKE.has(protocol) || request.method === undefined) {
    const allowed: Decision = { outcome: 'allow', policy, stage: 'l4', audit: false, reason: `${target} allowed by policy '${policy}'` };
    if (config && REST_LIKE.has(protocol)) allowed.inspect = { protocol, tls: config.endpoint.tls ?? '' };
    return allowed;
  }
  return decideL7(request, policy, matching);
}

function decideL7(request: DecisionRequest, policy: string, matching: CompiledEndpoint[]): Decision {
  const method = request.method!;
  // Canonicalise leniently first, so the request can be routed to the endpoint whose `path` it falls under;
  // that endpoint's own allow_encoded_slash then decides whether a %2F may stay (upstream re-checks it the same way).
  const canonical = canonicalizePath(request.path ?? '/', true);
  if (!canonical.ok) {
    // Malformed paths are refused at the parser boundary, before any rule or audit mode applies.
    return { outcome: 'deny', policy, stage: 'l7', audit: false, reason: `${method} ${request.path}: ${canonical.error}` };
  }
  const applies = (ep: CompiledEndpoint) => !ep.endpoint.path || pathMatches(canonical.path, ep.endpoint.path);
  // The inspected endpoint whose `path` most specifically covers the request decides; when every inspected
  // endpoint names a path and none covers this one, the request is refused outright (audit does not apply).
  const routes = matching.filter((ep) => ep.extended && REST_LIKE.has((ep.endpoint.protocol ?? '').toLowerCase()) && applies(ep));
  if (routes.length === 0) {
    return {
      outcome: 'deny',
      policy,
      stage: 'l7',
      audit: false,
      reason: `${method} ${canonical.path}: no endpoint of policy '${policy}' covers this path`,
    };
  }
  const routed = routes.reduce((best, ep) => ((ep.endpoint.path ?? '').length > (best.endpoint.path ?? '').length ? ep : best));
  if (canonical.path.includes('%2F') && !routed.endpoint.allow_encoded_slash) {
    const error = canonicalizePath(request.path ?? '/', false);
    return {
      outcome: 'deny',
      policy,
      stage: 'l7',
      audit: false,
      reason: `${method} ${request.path}: ${error.ok ? 'encoded slash refused' : error.error}`,
    };
  }
  const l7: L7Request = { method, path: canonical.path, query: request.query ?? {} };
  const denied = matching.some((ep) => applies(ep) && ep.denyRules.some((rule) => denyRuleMatches(l7, rule)));
  const allowed = !denied && matching.some((ep) => applies(ep) && ep.rules.some((rule) => allowRuleMatches(l7, rule.allow)));
  if (allowed) {
    return { outcome: 'allow', policy, stage: 'l7', audit: false, reason: `${method} ${l7.path} allowed by policy '${policy}'` };
  }
  const why = denied ? `${method} ${l7.path} blocked by deny rule` : `${method} ${l7.path} not permitted by policy`;
  // Upstream's default enforcement is audit: anything but an explicit "enforce" lets the request through, logged.
  if (routed.endpoint.enforcement !== 'enforce') {
    return { outcome: 'allow', policy, stage: 'l7', audit: true, reason: `${why} (audit mode: allowed and logged)` };
  }
  return { outcome: 'deny', policy, stage: 'l7', audit: false, reason: why };
}
