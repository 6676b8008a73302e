// What a decision on host:port needs to read of a request before it can be made: for endpoints decided on
// the body (json-rpc, mcp, graphql), the whole body up to the endpoint's limit. The proxy asks before
// deciding, so it can hold the body (and answer Expect: 100-continue) only where a rule reads it; every
// other request streams as before.
//
// The request is routed the way decide() routes it (the most specific inspected endpoint whose `path`
// covers it). The binary narrows the endpoints when one of them admits it; when none does, every endpoint
// of the host counts, because such a request may go through the inbox and an approval keeps the host's L7
// rules for that binary (session-approvals.ts keepHostL7): it must then be decided on its body as well.
import { canonicalizePath } from './canonical-path.js';
import { specificity } from './decide.js';
import { BODY_PROTOCOLS } from './l7/endpoint-config.js';
import { pathMatches } from './l7/rest-match.js';
import { binaryAllowed, type CompiledEndpoint, type CompiledPolicy } from './matcher.js';

export interface BodyNeeds {
  /** The body protocol of the endpoint that will decide: json-rpc, mcp or graphql. */
  protocol: string;
  /** Read at most this many bytes; a bigger body is refused (413) unread by the upstream. */
  bodyLimit: number;
}

export function bodyNeeds(compiled: CompiledPolicy, host: string, port: number, binary: string, path: string): BodyNeeds | undefined {
  const endpoints = compiled.endpointsFor(host, port);
  if (endpoints.length === 0) return undefined;
  let inspected = false;
  for (const ep of endpoints) if (ep.l7 && BODY_PROTOCOLS.has(ep.l7.protocol)) inspected = true;
  if (!inspected) return undefined; // the common case: no body protocol on this host at all
  const admitted = endpoints.filter((ep) => binaryAllowed(compiled.rules.get(ep.policyKey)!, binary));
  const candidates = admitted.length > 0 ? admitted : endpoints;
  // A path decide() would refuse as malformed needs no body: it is refused before any rule reads one.
  const canonical = canonicalizePath(path, true);
  if (!canonical.ok) return undefined;
  const covers = (ep: CompiledEndpoint) => !ep.endpoint.path || pathMatches(canonical.path, ep.endpoint.path);
  const routes = candidates.filter((ep) => ep.l7 && ep.l7.protocol !== '' && ep.l7.protocol !== 'sql' && covers(ep));
  if (routes.length === 0) return undefined;
  const routed = routes.reduce((best, ep) => (specificity(ep) > specificity(best) ? ep : best));
  const l7 = routed.l7!;
  if (!BODY_PROTOCOLS.has(l7.protocol) || l7.bodyLimit === undefined) return undefined;
  return { protocol: l7.protocol, bodyLimit: l7.bodyLimit };
}
