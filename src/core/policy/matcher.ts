// A policy compiled for fast lookup. Exact hosts sit in a Map; wildcard hosts are bucketed by their
// literal suffix, so a lookup costs one probe per label of the request host, never a scan of all rules.
import { effectiveRules } from './access.js';
import { compileGlob, type GlobMatcher } from './glob.js';
import { compileHostPattern, exactHostKey, isWildcardHost, literalSuffix } from './host-pattern.js';
import { compileL7Config, type L7Config } from './l7/endpoint-config.js';
import type { L7Rule, L7Selector, NetworkEndpoint, NetworkPolicyRule, SandboxPolicy } from './types.js';

export interface CompileOptions {
  /** The core's --allow-loopback: loopback upstreams pass the destination guard however the policy names them. */
  allowLoopback?: boolean;
}

export interface CompiledEndpoint {
  policyKey: string;
  index: number;
  endpoint: NetworkEndpoint;
  ports: ReadonlySet<number>;
  kind: 'exact' | 'wildcard' | 'hostless';
  hostMatcher?: GlobMatcher;
  /** Rules after access-preset expansion. */
  rules: L7Rule[];
  denyRules: L7Selector[];
  /** Upstream's endpoint_has_extended_config: an L7 protocol (not "tcp"), allowed_ips, or an explicit tls mode. */
  extended: boolean;
  /** The L7 configuration, for an endpoint with a protocol other than tcp. */
  l7?: L7Config;
}

export interface CompiledRule {
  key: string;
  rule: NetworkPolicyRule;
  exactBinaries: ReadonlySet<string>;
  binaryGlobs: GlobMatcher[];
}

export class CompiledPolicy {
  readonly rules = new Map<string, CompiledRule>();
  private readonly exact = new Map<string, CompiledEndpoint[]>();
  private readonly wildcardsBySuffix = new Map<string, CompiledEndpoint[]>();
  /** Every right-hand part of every wildcard suffix ("com", "example.com", …): where a lookup may continue. */
  private readonly suffixSteps = new Set<string>();
  private readonly hostless: CompiledEndpoint[] = [];

  private collectWildcards(suffix: string, host: string, port: number, found: CompiledEndpoint[]) {
    const bucket = this.wildcardsBySuffix.get(suffix);
    if (bucket) for (const ep of bucket) if (ep.ports.has(port) && ep.hostMatcher!(host)) found.push(ep);
  }
  readonly endpointCount: number;
  readonly allowLoopback: boolean;

  constructor(
    readonly policy: SandboxPolicy,
    options: CompileOptions = {},
  ) {
    this.allowLoopback = options.allowLoopback === true;
    let count = 0;
    // Sorted keys: upstream picks the lexicographically smallest matching policy, so candidates come in that order.
    for (const key of Object.keys(policy.network_policies ?? {}).sort(compareKeys)) {
      const rule = policy.network_policies[key];
      this.rules.set(key, compileRule(key, rule));
      (rule.endpoints ?? []).forEach((endpoint, index) => {
        count++;
        const compiled = compileEndpoint(key, index, endpoint);
        if (compiled.kind === 'exact') push(this.exact, exactHostKey(endpoint.host ?? ''), compiled);
        else if (compiled.kind === 'wildcard') push(this.wildcardsBySuffix, literalSuffix(endpoint.host ?? ''), compiled);
        else if ((endpoint.allowed_ips ?? []).length > 0) this.hostless.push(compiled);
      });
    }
    this.endpointCount = count;
    for (const suffix of this.wildcardsBySuffix.keys()) {
      if (suffix === '') continue;
      const labels = suffix.split('.');
      for (let i = 0; i < labels.length; i++) this.suffixSteps.add(labels.slice(i).join('.'));
    }
  }

  /** Every endpoint whose host and port admit the request, in policy-key then declaration order. */
  endpointsFor(host: string, port: number): CompiledEndpoint[] {
    const lower = host.toLowerCase();
    const found: CompiledEndpoint[] = [];
    // IP literals have several spellings; names are looked up as lower-cased (the common, cheap case).
    const key = lower.includes(':') || lower.charCodeAt(0) === 0x5b ? exactHostKey(lower) : lower;
    const exact = this.exact.get(key);
    if (exact) for (const ep of exact) if (ep.ports.has(port)) found.push(ep);
    if (this.wildcardsBySuffix.size > 0) {
      // Walk the host's suffixes from the top-level label down, stopping as soon as no wildcard
      // suffix continues that way: the cost is bounded by the labels shared with some pattern.
      this.collectWildcards('', lower, port, found);
      for (let dot = lower.lastIndexOf('.'); ; dot = lower.lastIndexOf('.', dot - 1)) {
        const suffix = dot < 0 ? lower : lower.slice(dot + 1);
        if (!this.suffixSteps.has(suffix)) break;
        this.collectWildcards(suffix, lower, port, found);
        if (dot <= 0) break;
      }
    }
    for (const ep of this.hostless) if (ep.ports.has(port)) found.push(ep);
    if (found.length > 1) found.sort(byPolicyThenIndex);
    return found;
  }
}

export function compilePolicy(policy: SandboxPolicy, options: CompileOptions = {}): CompiledPolicy {
  return new CompiledPolicy(policy, options);
}

/**
 * A binary path that is matched literally even when it contains glob characters: paths recorded from
 * the inbox (an approval, a promote) name one executable, so `/opt/agent/*` must not admit
 * `/opt/agent/other`. Escaped as upstream's glob reads escapes, so the policy stays wire-compatible.
 */
export function literalBinaryPath(path: string): string {
  return path.includes('*') ? path.replace(/[\\*?[\]{}]/g, '\\$&') : path;
}

/** Upstream's binary_allowed for the executable path alone: exact path, or a "/"-delimited glob when it has "*". */
export function binaryAllowed(rule: CompiledRule, binary: string): boolean {
  if (rule.exactBinaries.has(binary)) return true;
  for (const glob of rule.binaryGlobs) if (glob(binary)) return true;
  return false;
}

function compileRule(key: string, rule: NetworkPolicyRule): CompiledRule {
  const exactBinaries = new Set<string>();
  const binaryGlobs: GlobMatcher[] = [];
  for (const binary of rule.binaries ?? []) {
    if (binary.path.includes('*')) binaryGlobs.push(compileGlob(binary.path, ['/']));
    else exactBinaries.add(binary.path);
  }
  return { key, rule, exactBinaries, binaryGlobs };
}

function compileEndpoint(policyKey: string, index: number, endpoint: NetworkEndpoint): CompiledEndpoint {
  const host = endpoint.host ?? '';
  const kind = host === '' ? 'hostless' : isWildcardHost(host) ? 'wildcard' : 'exact';
  const protocol = (endpoint.protocol ?? '').trim().toLowerCase();
  const rules = effectiveRules(endpoint);
  const l7Protocol = protocol !== '' && protocol !== 'tcp';
  return {
    policyKey,
    index,
    endpoint,
    ports: new Set(endpointPorts(endpoint)),
    kind,
    hostMatcher: kind === 'wildcard' ? compileHostPattern(host) : undefined,
    rules,
    denyRules: endpoint.deny_rules ?? [],
    extended: l7Protocol || (endpoint.allowed_ips ?? []).length > 0 || Boolean(endpoint.tls),
    l7: l7Protocol ? compileL7Config(endpoint, rules) : undefined,
  };
}

/** Upstream normalises `port` into `ports`; both forms mean the same set. */
export function endpointPorts(endpoint: NetworkEndpoint): number[] {
  if (endpoint.ports && endpoint.ports.length > 0) return endpoint.ports;
  return endpoint.port ? [endpoint.port] : [];
}

function push<T>(map: Map<string, T[]>, key: string, value: T) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Byte-wise order, as Rego compares strings. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byPolicyThenIndex(a: CompiledEndpoint, b: CompiledEndpoint): number {
  return compareKeys(a.policyKey, b.policyKey) || a.index - b.index;
}
