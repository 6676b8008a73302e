// Overlapping endpoints that disagree on how a connection is handled, refused at load as upstream's
// openshell-policy ambiguity.rs does: two endpoints whose host patterns and ports can match the same
// connection must agree on tls (skip vs inspect), allowed_ips and explicit `tcp` vs an omitted protocol;
// two endpoints with extended config whose paths overlap at equal specificity must agree on protocol,
// enforcement, allow_encoded_slash and body limits. Different binary lists do not make them disjoint.
import { literalSuffix } from './host-pattern.js';
import type { NetworkEndpoint, NetworkPolicyRule } from './types.js';

export interface Ambiguity {
  /** network_policies key and endpoint index of the later endpoint of the pair (where it is reported). */
  key: string;
  index: number;
  message: string;
}

interface Ref {
  key: string;
  index: number;
  ep: NetworkEndpoint;
  ports: Set<number>;
}

/**
 * Pairs are only compared where they can meet: exact hosts within their own name, a wildcard against
 * the names and wildcards that end in its literal suffix (two hosts matching both patterns end in both
 * suffixes, so one suffix ends the other), hostless endpoints against all. Plain endpoints (no protocol,
 * tls or allowed_ips) cannot conflict with each other and are skipped, so a 10,000-endpoint policy costs
 * milliseconds, not the 50 million comparisons of every pair.
 */
export function findAmbiguities(policies: Record<string, NetworkPolicyRule>): Ambiguity[] {
  const refs: Ref[] = [];
  let special = false;
  for (const [key, rule] of Object.entries(policies)) {
    rule.endpoints.forEach((ep, index) => {
      refs.push({ key, index, ep, ports: new Set(portsOf(ep)) });
      special ||= !plain(ep);
    });
  }
  // Only an endpoint with a protocol, tls, allowed_ips or a credential binding can conflict with another.
  if (!special) return [];
  const bySuffix = new Map<string, Ref[]>();
  const wildcards: Array<[Ref, string]> = [];
  const hostless: Ref[] = [];
  for (const ref of refs) {
    const host = (ref.ep.host ?? '').toLowerCase();
    if (host === '') {
      hostless.push(ref);
      continue;
    }
    const suffix = literalSuffix(host);
    if (host.includes('*')) wildcards.push([ref, suffix]);
    else for (const s of labelSuffixes(host)) push(bySuffix, s, ref);
  }
  const out: Ambiguity[] = [];
  const seen = new Set<string>();
  const pair = (a: Ref, b: Ref) => {
    if (a === b || (plain(a.ep) && plain(b.ep))) return;
    const [x, y] = order(a, b);
    const id = `${x.key}\u0000${x.index}\u0000${y.key}\u0000${y.index}`;
    if (seen.has(id)) return;
    seen.add(id);
    compare(x, y, out);
  };
  const exact = new Map<string, Ref[]>();
  for (const ref of refs) {
    const host = (ref.ep.host ?? '').toLowerCase();
    if (host !== '' && !host.includes('*')) push(exact, host, ref);
  }
  for (const list of exact.values()) {
    if (list.every((r) => plain(r.ep))) continue;
    for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) pair(list[i], list[j]);
  }
  const wildBySuffix = new Map<string, Ref[]>();
  for (const [ref, suffix] of wildcards) push(wildBySuffix, suffix, ref);
  for (const [ref, suffix] of wildcards) {
    for (const other of bySuffix.get(suffix) ?? []) pair(ref, other);
    for (const s of suffix === '' ? [''] : ['', ...labelSuffixes(suffix)]) for (const other of wildBySuffix.get(s) ?? []) pair(ref, other);
  }
  for (const ref of hostless) for (const other of refs) pair(ref, other);
  return out;
}

function order(a: Ref, b: Ref): [Ref, Ref] {
  return a.key < b.key || (a.key === b.key && a.index < b.index) ? [a, b] : [b, a];
}

function plain(ep: NetworkEndpoint): boolean {
  return (ep.protocol ?? '') === '' && !ep.tls && (ep.allowed_ips ?? []).length === 0 && ep.credential_binding === undefined;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** "a.b.c" → ["a.b.c", "b.c", "c"]. */
function labelSuffixes(host: string): string[] {
  const out: string[] = [];
  for (let dot = -1; ; dot = host.indexOf('.', dot + 1)) {
    out.push(host.slice(dot + 1));
    if (host.indexOf('.', dot + 1) < 0) break;
  }
  return out;
}

function compare(a: Ref, b: Ref, out: Ambiguity[]): void {
  const ports = [...a.ports].filter((p) => b.ports.has(p)).sort((x, y) => x - y);
  if (ports.length === 0 || !hostsOverlap(a.ep.host ?? '', b.ep.host ?? '')) return;
  const conflicts: string[] = [];
  const push = (field: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) conflicts.push(`${field}=${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
  };
  push('explicit tcp', isTcp(a.ep), isTcp(b.ep));
  push('tls', tlsOf(a.ep), tlsOf(b.ep));
  push('allowed_ips', ipsOf(a.ep), ipsOf(b.ep));
  if (extended(a.ep) && extended(b.ep) && pathsOverlap(a.ep.path ?? '', b.ep.path ?? '') && rank(a.ep.path) === rank(b.ep.path)) {
    const pa = protocolOf(a.ep);
    const pb = protocolOf(b.ep);
    push('protocol', pa, pb);
    push('enforcement', enforcementOf(a.ep), enforcementOf(b.ep));
    push('allow_encoded_slash', a.ep.allow_encoded_slash === true, b.ep.allow_encoded_slash === true);
    if (pa === 'graphql' && pb === 'graphql')
      push('graphql_max_body_bytes', a.ep.graphql_max_body_bytes ?? 0, b.ep.graphql_max_body_bytes ?? 0);
    if (pa === pb && (pa === 'json-rpc' || pa === 'mcp')) push('max_body_bytes', rpcLimit(a.ep), rpcLimit(b.ep));
    if (pa === 'mcp' && pb === 'mcp') push('mcp.strict_tool_names', strictOf(a.ep), strictOf(b.ep));
  }
  if (conflicts.length === 0) return;
  const sel = (r: Ref) => `'${r.key}' endpoint[${r.index}] (${r.ep.host || '<any-host>'}:${[...r.ports].join(',')}${r.ep.path ?? ''})`;
  out.push({
    key: b.key,
    index: b.index,
    message: `network policies ${sel(a)} and ${sel(b)} overlap on port(s) ${ports.join(',')} with conflicting metadata: ${conflicts.join('; ')}`,
  });
}

const portsOf = (ep: NetworkEndpoint): number[] => (ep.ports && ep.ports.length > 0 ? ep.ports : ep.port ? [ep.port] : []);
const isTcp = (ep: NetworkEndpoint) => (ep.protocol ?? '').toLowerCase() === 'tcp';
const tlsOf = (ep: NetworkEndpoint) => ((ep.tls ?? '').toLowerCase() === 'skip' ? 'skip' : 'auto');
const ipsOf = (ep: NetworkEndpoint) => [...new Set((ep.allowed_ips ?? []).map((ip) => ip.trim().toLowerCase()))].sort();
const protocolOf = (ep: NetworkEndpoint) => (isTcp(ep) ? '' : (ep.protocol ?? '').toLowerCase());
const enforcementOf = (ep: NetworkEndpoint) => ((ep.enforcement ?? '').toLowerCase() === 'enforce' ? 'enforce' : 'audit');
const strictOf = (ep: NetworkEndpoint) => (ep.mcp as { strict_tool_names?: boolean } | undefined)?.strict_tool_names !== false;
function rpcLimit(ep: NetworkEndpoint): number {
  const mcp = ep.mcp as { max_body_bytes?: number } | undefined;
  const rpc = ep.json_rpc as { max_body_bytes?: number } | undefined;
  return (mcp ? mcp.max_body_bytes : rpc?.max_body_bytes) || 65536;
}
function extended(ep: NetworkEndpoint): boolean {
  return protocolOf(ep) !== '' || (ep.allowed_ips ?? []).length > 0 || Boolean(ep.tls) || ep.credential_binding !== undefined;
}
function rank(path: string | undefined): number {
  return (path ?? '').replace(/\*/g, '').length;
}

/** Can two "."-delimited host globs (`*` one label part, `**` several labels) name the same host? */
export function hostsOverlap(a: string, b: string): boolean {
  if (a === '' || b === '') return true;
  return globsIntersect(tokens(a.toLowerCase(), '.'), tokens(b.toLowerCase(), '.'), '.');
}

function pathsOverlap(a: string, b: string): boolean {
  if (a === '' || b === '' || a === '**' || b === '**' || a === '/**' || b === '/**') return true;
  // Path globs: "*" and "**" may both cross "/" in the route selector (upstream's glob crate semantics).
  return globsIntersect(tokens(a, '/', true), tokens(b, '/', true), '/');
}

type Tok = { lit: string } | { star: boolean } | { any: true };

function tokens(pattern: string, _delim: string, pathStars = false): Tok[] {
  const out: Tok[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') {
      let j = i;
      while (pattern[j] === '*') j++;
      out.push({ star: pathStars || j - i >= 2 });
      i = j - 1;
    } else if (ch === '?') out.push({ any: true });
    else out.push({ lit: ch });
  }
  return out;
}

/** Product-automaton search: do the two glob languages share a string? Bounded by len(a) × len(b) states. */
function globsIntersect(a: Tok[], b: Tok[], delim: string): boolean {
  const seen = new Set<number>();
  const queue: Array<[number, number]> = [[0, 0]];
  const width = b.length + 1;
  while (queue.length > 0) {
    const [i, j] = queue.pop()!;
    const id = i * width + j;
    if (seen.has(id)) continue;
    seen.add(id);
    if (i === a.length && j === b.length) return true;
    const ta = a[i];
    const tb = b[j];
    if (ta && 'star' in ta) queue.push([i + 1, j]);
    if (tb && 'star' in tb) queue.push([i, j + 1]);
    if (!ta || !tb) continue;
    if (share(ta, tb, delim)) queue.push(['star' in ta ? i : i + 1, 'star' in tb ? j : j + 1]);
  }
  return false;
}

function share(a: Tok, b: Tok, delim: string): boolean {
  const chars = (t: Tok): ((c: string) => boolean) | string =>
    'lit' in t ? t.lit : 'any' in t ? () => true : t.star ? () => true : (c: string) => c !== delim;
  const ca = chars(a);
  const cb = chars(b);
  if (typeof ca === 'string' && typeof cb === 'string') return ca === cb;
  if (typeof ca === 'string') return (cb as (c: string) => boolean)(ca);
  if (typeof cb === 'string') return ca(cb);
  return true;
}
