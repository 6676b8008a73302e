// One decision, end to end: L4 match (host, port, binary) → address guard → L7 when the endpoint inspects
// traffic. Mirrors upstream's Rego (network_action, allow_request, deny_request) plus the checks its
// proxy makes in Rust (SSRF guard, path canonicalisation, body inspection, audit mode).
//
// The proxy calls this once per connection without a method (admission: L4, and for an inspected
// endpoint `inspect` says how — TLS, and for body protocols how many body bytes to buffer), then once per
// request inside with method, path, query, headers and body. An L7 endpoint never falls back to L4: a
// request it cannot read as its protocol is refused with the reason.
import { canonicalizePath } from './canonical-path.js';
import { decideGraphql } from './l7/decide-graphql.js';
import { decideRest } from './l7/decide-rest.js';
import { decideRpc } from './l7/decide-rpc.js';
import { BODY_PROTOCOLS } from './l7/endpoint-config.js';
import { isHttpToken } from './l7/http-parts.js';
import { pathMatches } from './l7/rest-match.js';
import type { L7Context } from './l7/verdict.js';
import { binaryAllowed, type CompiledEndpoint, type CompiledPolicy } from './matcher.js';
import { checkDestination } from './ssrf.js';
import type { Decision, DecisionRequest } from './types.js';

export const SQL_AUDIT_ONLY =
  'protocol sql is audit-only: upstream has no SQL inspection, so the connection is allowed at L4 and its statements are not checked';

export interface DecideOptions {
  /** Overrides the compiled policy's --allow-loopback setting for this decision. */
  allowLoopback?: boolean;
}

export function decide(compiled: CompiledPolicy, request: DecisionRequest, options?: DecideOptions): Decision {
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
  // Any matching endpoint with an L7 protocol makes the connection inspected (upstream takes the first
  // endpoint with extended config, so an allowed_ips-only entry listed first would turn inspection off).
  const config = matching.find((ep) => ep.l7 !== undefined);

  const blocked = checkDestination(request, matching, options?.allowLoopback ?? compiled.allowLoopback);
  if (blocked) return { outcome: 'deny', policy, stage: 'ssrf', audit: false, reason: blocked };

  const l7 = config?.l7;
  if (!l7) return { outcome: 'allow', policy, stage: 'l4', audit: false, reason: `${target} allowed by policy '${policy}'` };
  if (l7.unenforceable && (request.method === undefined || l7.protocol === '')) {
    return {
      outcome: 'deny',
      policy,
      stage: request.method === undefined ? 'l4' : 'l7',
      audit: false,
      reason: unenforceable(config, l7.unenforceable),
    };
  }
  if (l7.protocol === 'sql')
    return { outcome: 'allow', policy, stage: 'l4', audit: false, reason: `${target} allowed by policy '${policy}'; ${SQL_AUDIT_ONLY}` };
  if (request.method === undefined) return admission(target, policy, config, matching);
  return decideL7(request, policy, matching);
}

function unenforceable(ep: CompiledEndpoint, why: string): string {
  return `endpoint ${ep.endpoint.host ?? '(any host)'} of policy '${ep.policyKey}' cannot be enforced as written, so it denies: ${why}`;
}

/**
 * A connection to an inspected endpoint (CONNECT, or the first look at a plain request): allowed at L4
 * with how to inspect it. `tls: skip` on an L7 endpoint would leave the requests inside a tunnel unread,
 * so the tunnel is refused rather than relayed blind (plain-HTTP requests to it are still decided).
 */
function admission(target: string, policy: string, config: CompiledEndpoint, matching: CompiledEndpoint[]): Decision {
  const l7 = config.l7!;
  if (l7.tlsSkip) {
    return {
      outcome: 'deny',
      policy,
      stage: 'l4',
      audit: false,
      reason: unenforceable(
        config,
        `protocol ${l7.protocol} with tls: skip: requests inside the tunnel could not be inspected, so it is refused rather than tunnelled blind (remove tls: skip to inspect it, or remove the protocol for a plain L4 endpoint)`,
      ),
    };
  }
  let bodyLimit: number | undefined;
  for (const ep of matching) {
    if (ep.l7?.bodyLimit !== undefined && BODY_PROTOCOLS.has(ep.l7.protocol)) bodyLimit = Math.max(bodyLimit ?? 0, ep.l7.bodyLimit);
  }
  const inspect: NonNullable<Decision['inspect']> = { protocol: l7.protocol, tls: config.endpoint.tls ?? '' };
  if (bodyLimit !== undefined) inspect.bodyLimit = bodyLimit;
  return { outcome: 'allow', policy, stage: 'l4', audit: false, reason: `${target} allowed by policy '${policy}'`, inspect };
}

/** Upstream's route rank: the characters of an endpoint path that are not "*". */
export function specificity(ep: CompiledEndpoint): number {
  const path = ep.endpoint.path ?? '';
  let n = 0;
  for (const ch of path) if (ch !== '*') n++;
  return n;
}

/** Protocols whose rules are read as REST rules (upstream's Rego applies REST matching to all but these). */
const NON_REST = new Set(['graphql', 'json-rpc', 'mcp', 'sql']);

function decideL7(request: DecisionRequest, policy: string, matching: CompiledEndpoint[]): Decision {
  const method = request.method!;
  const deny = (reason: string): Decision => ({ outcome: 'deny', policy, stage: 'l7', audit: false, reason });
  // A method that is not an RFC 9110 token (empty, spaces, control bytes, "undefined" from a broken
  // parser is a token but never reaches here as such) cannot be named, so no rule may match it.
  if (!isHttpToken(method)) return deny(`method ${JSON.stringify(method)} is not an RFC 9110 token; refused`);
  // Canonicalise leniently first, so the request can be routed to the endpoint whose `path` it falls under;
  // that endpoint's own allow_encoded_slash then decides whether a %2F may stay (upstream re-checks it the same way).
  const canonical = canonicalizePath(request.path ?? '/', true);
  // Malformed paths are refused at the parser boundary, before any rule or audit mode applies.
  if (!canonical.ok) return deny(`${method} ${request.path}: ${canonical.error}`);
  const path = canonical.path;
  const applies = (ep: CompiledEndpoint) => !ep.endpoint.path || pathMatches(path, ep.endpoint.path);
  // The inspected endpoint whose `path` most specifically covers the request decides; when every inspected
  // endpoint names a path and none covers this one, the request is refused outright (audit does not apply).
  const routes = matching.filter((ep) => ep.l7 && ep.l7.protocol !== '' && ep.l7.protocol !== 'sql' && applies(ep));
  if (routes.length === 0) return deny(`${method} ${path}: no endpoint of policy '${policy}' covers this path`);
  const routed = routes.reduce((best, ep) => (specificity(ep) > specificity(best) ? ep : best));
  if (path.includes('%2F') && !routed.endpoint.allow_encoded_slash) {
    const error = canonicalizePath(request.path ?? '/', false);
    return deny(`${method} ${request.path}: ${error.ok ? 'encoded slash refused' : error.error}`);
  }
  const l7 = routed.l7!;
  if (l7.unenforceable) return deny(`${method} ${path}: ${unenforceable(routed, l7.unenforceable)}`);
  const protocol = l7.protocol;
  // Rules combine across every covering endpoint of the same family (REST shapes for REST; the routed
  // body protocol otherwise): a broader endpoint of another protocol never allows what this one refuses.
  const peers = matching.filter(
    (ep) => applies(ep) && (NON_REST.has(protocol) ? ep.l7?.protocol === protocol : !NON_REST.has(ep.l7?.protocol ?? '')),
  );
  const ctx: L7Context = { request, policy, method, path, query: queryOf(request, canonical.query), routed, peers };
  if (protocol === 'json-rpc' || protocol === 'mcp') return decideRpc(ctx);
  if (protocol === 'graphql') return decideGraphql(ctx);
  return decideRest(ctx);
}

/** Decoded query parameters: as given, or read from a path that carries "?query". */
function queryOf(request: DecisionRequest, raw: string | undefined): Record<string, string[]> {
  if (request.query) return request.query;
  const query: Record<string, string[]> = Object.create(null);
  if (raw === undefined) return query;
  for (const [name, value] of new URLSearchParams(raw)) (query[name] ??= []).push(value);
  return query;
}
