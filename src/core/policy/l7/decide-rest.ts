// REST and WebSocket requests: method, path and query against every covering endpoint's rules (deny
// rules win), as upstream's Rego. A WebSocket endpoint admits only a well-formed upgrade (judged as a
// REST GET); a client text message may be asked about as method WEBSOCKET_TEXT, as upstream's relay does.
import type { Decision } from '../types.js';
import { headerHasToken, headerValues } from './http-parts.js';
import { allowRuleMatches, denyRuleMatches, type L7Request } from './rest-match.js';
import { allowed, hardDeny, type L7Context, notAllowed } from './verdict.js';

export function decideRest(ctx: L7Context): Decision {
  const { method, path } = ctx;
  const facts = { kind: 'http' as const, method, path };
  if (ctx.routed.l7?.protocol === 'websocket' && method !== 'WEBSOCKET_TEXT') {
    const problem = websocketUpgradeProblem(ctx);
    if (problem) return hardDeny(ctx, `${method} ${path}: ${problem}`, facts);
  }
  const request: L7Request = { method, path, query: ctx.query };
  const denied = ctx.peers.some((ep) => ep.denyRules.some((rule) => denyRuleMatches(request, rule)));
  if (!denied && ctx.peers.some((ep) => ep.rules.some((rule) => allowRuleMatches(request, rule.allow)))) {
    return allowed(ctx, `${method} ${path} allowed by policy '${ctx.policy}'`, facts);
  }
  return notAllowed(ctx, denied ? `${method} ${path} blocked by deny rule` : `${method} ${path} not permitted by policy`, facts, false);
}

/** Upstream's validate_websocket_upgrade_request: GET, Upgrade: websocket, Connection: upgrade, one 16-byte key, version 13. */
function websocketUpgradeProblem(ctx: L7Context): string | undefined {
  const headers = ctx.request.headers;
  const upgrade = headerHasToken(headers, 'upgrade', 'websocket');
  const keys = headerValues(headers, 'sec-websocket-key');
  const versions = headerValues(headers, 'sec-websocket-version');
  if (!upgrade && keys.length === 0 && versions.length === 0) {
    return 'websocket endpoint requires a valid WebSocket upgrade request';
  }
  if (ctx.method.toUpperCase() !== 'GET') return 'websocket upgrade request must use GET';
  if (!upgrade) return 'websocket upgrade request missing Upgrade: websocket';
  if (!headerHasToken(headers, 'connection', 'upgrade')) return 'websocket upgrade request missing Connection: Upgrade';
  if (keys.length !== 1) return 'websocket upgrade request must include exactly one Sec-WebSocket-Key';
  const key = keys[0].trim();
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) return 'websocket upgrade request has invalid Sec-WebSocket-Key';
  if (versions.length !== 1 || versions[0].trim() !== '13') return 'websocket upgrade request must use Sec-WebSocket-Version: 13';
  return undefined;
}
