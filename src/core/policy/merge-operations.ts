// Incremental policy edits, as OpenShell's UpdateConfig merge_operations apply them to a live sandbox
// policy (upstream crates/openshell-policy/src/merge.rs): add a rule, remove a rule / endpoint / binary,
// add allow or deny rules to one endpoint. The same edits serve the gateway client (promote, presets)
// and the embedded core's gRPC server. Never a blind replace: every other entry is kept as it was.
import { effectiveRules } from './access.js';
import { canonicalYaml } from '../revisions/canonical-yaml.js';
import type { L7Rule, L7Selector, NetworkBinary, NetworkEndpoint, NetworkPolicyRule } from './types.js';

export type MergeOperation =
  | { add_rule: { rule_name: string; rule: NetworkPolicyRule } }
  | { remove_rule: { rule_name: string } }
  | { remove_endpoint: { rule_name?: string; host: string; port: number } }
  | { remove_binary: { rule_name: string; binary_path: string } }
  | { add_allow_rules: { host: string; port: number; rules: L7Rule[] } }
  | { add_deny_rules: { host: string; port: number; deny_rules: L7Selector[] } };

export type NetworkPolicies = Record<string, NetworkPolicyRule>;

export class MergeError extends Error {}

/** Applies the operations in order to a copy; throws MergeError (naming the operation) on the first that cannot apply. */
export function applyMergeOperations(policies: NetworkPolicies, operations: readonly MergeOperation[]): NetworkPolicies {
  const result = structuredClone(policies);
  operations.forEach((op, index) => {
    try {
      applyOne(result, op);
    } catch (error) {
      if (error instanceof MergeError) throw new MergeError(`merge_operations[${index}]: ${error.message}`);
      throw error;
    }
  });
  return result;
}

function applyOne(policies: NetworkPolicies, op: MergeOperation): void {
  if ('add_rule' in op) return addRule(policies, op.add_rule.rule_name.trim(), op.add_rule.rule);
  if ('remove_rule' in op) {
    delete policies[op.remove_rule.rule_name];
    return;
  }
  if ('remove_endpoint' in op) return removeEndpoint(policies, op.remove_endpoint);
  if ('remove_binary' in op) return removeBinary(policies, op.remove_binary.rule_name, op.remove_binary.binary_path);
  if ('add_allow_rules' in op) {
    const endpoint = uniqueEndpoint(policies, op.add_allow_rules.host, op.add_allow_rules.port);
    // Explicit rules replace the access shorthand, so the shorthand is expanded first (as upstream).
    if (endpoint.access) {
      endpoint.rules = appendUnique(endpoint.rules ?? [], effectiveRules({ ...endpoint, rules: [] }));
      delete endpoint.access;
    }
    endpoint.rules = appendUnique(endpoint.rules ?? [], op.add_allow_rules.rules);
    return;
  }
  const { host, port, deny_rules } = op.add_deny_rules;
  const endpoint = uniqueEndpoint(policies, host, port);
  if (!endpoint.access && !endpoint.rules?.length)
    throw new MergeError(`${host}:${port} allows nothing at L7, so deny rules would have nothing to narrow`);
  endpoint.deny_rules = appendUnique(endpoint.deny_rules ?? [], deny_rules);
}

function addRule(policies: NetworkPolicies, ruleName: string, incoming: NetworkPolicyRule): void {
  if (!ruleName) throw new MergeError('add_rule.rule_name is required');
  if (!incoming.endpoints?.length) throw new MergeError(`add_rule '${ruleName}' must contain at least one endpoint`);
  const copy = structuredClone(incoming);
  // The wire form carries both port and ports; the YAML form (what this layer persists) allows only one.
  const endpoints = copy.endpoints.map((e) => (e.ports?.length ? withPorts(e, portsOf(e)) : e));
  const rule: NetworkPolicyRule = { ...copy, name: incoming.name || ruleName, endpoints, binaries: copy.binaries ?? [] };
  const target = ruleName in policies ? ruleName : overlappingRule(policies, rule);
  // A fold into another rule must not widen who may use it: only when both name the same binaries.
  if (target && (target === ruleName || sameBinaries(policies[target], rule))) {
    mergeInto(policies[target], rule);
    return;
  }
  policies[ruleName] = rule;
}

/** Upstream folds a new rule into an existing one that already covers one of its host:port pairs. */
function overlappingRule(policies: NetworkPolicies, rule: NetworkPolicyRule): string | undefined {
  return Object.keys(policies)
    .sort()
    .filter((key) => !key.startsWith('_provider_'))
    .find((key) => policies[key].endpoints.some((a) => rule.endpoints.some((b) => endpointsOverlap(a, b))));
}

function mergeInto(existing: NetworkPolicyRule, incoming: NetworkPolicyRule): void {
  for (const endpoint of incoming.endpoints) {
    // Only into an endpoint that differs in nothing but its L7 lists: another path, port set, protocol (or any
    // other field) stays an endpoint of its own, so nothing declared is dropped and no rule reaches further.
    const same = existing.endpoints.find((e) => sameEndpoint(e, endpoint));
    if (!same) {
      existing.endpoints.push(structuredClone(endpoint));
      continue;
    }
    const incomingRules = effectiveRules(endpoint);
    const current = new Set(effectiveRules(same).map((r) => canonicalYaml(r)));
    // Nothing new leaves the endpoint as it was (an access shorthand is not expanded for nothing).
    if (incomingRules.some((r) => !current.has(canonicalYaml(r)))) {
      if (same.access && !same.rules?.length) {
        same.rules = effectiveRules(same);
        delete same.access;
      }
      same.rules = appendUnique(same.rules ?? [], incomingRules);
    }
    if (endpoint.deny_rules?.length) same.deny_rules = appendUnique(same.deny_rules ?? [], endpoint.deny_rules);
  }
  existing.binaries = appendUnique(existing.binaries, incoming.binaries);
}

function removeEndpoint(policies: NetworkPolicies, target: { rule_name?: string; host: string; port: number }): void {
  const keys = target.rule_name ? (target.rule_name in policies ? [target.rule_name] : []) : Object.keys(policies).sort();
  for (const key of keys) {
    const rule = policies[key];
    rule.endpoints = rule.endpoints.flatMap((endpoint) => {
      if (!matchesHostPort(endpoint, target.host, target.port)) return [endpoint];
      const remaining = portsOf(endpoint).filter((p) => p !== target.port);
      if (remaining.length === 0) return [];
      return [withPorts(endpoint, remaining)];
    });
    if (rule.endpoints.length === 0) delete policies[key];
  }
}

function removeBinary(policies: NetworkPolicies, ruleName: string, binaryPath: string): void {
  const rule = policies[ruleName];
  if (!rule) return;
  // An empty list means every binary: dropping one from it is impossible without naming all the others.
  if (rule.binaries.length === 0)
    throw new MergeError(
      `rule '${ruleName}' applies to every binary; removing '${binaryPath}' from it would need every other binary named`,
    );
  const before = rule.binaries.length;
  rule.binaries = rule.binaries.filter((b) => b.path !== binaryPath);
  // Removing the last named binary deletes the rule rather than widening it to every binary.
  if (rule.binaries.length === 0 && before > 0) delete policies[ruleName];
}

function uniqueEndpoint(policies: NetworkPolicies, host: string, port: number): NetworkEndpoint {
  const found = Object.keys(policies)
    .sort()
    .flatMap((key) => policies[key].endpoints.filter((e) => matchesHostPort(e, host, port)).map((endpoint) => ({ key, endpoint })));
  if (found.length === 0) throw new MergeError(`no endpoint ${host}:${port} in the policy`);
  if (found.length > 1)
    throw new MergeError(`${host}:${port} appears in several rules (${found.map((f) => f.key).join(', ')}); name the rule instead`);
  const { endpoint } = found[0];
  const protocol = endpoint.protocol ?? '';
  if (protocol !== 'rest' && protocol !== 'websocket')
    throw new MergeError(`${host}:${port} is not inspected at L7 (protocol '${protocol || 'none'}'); method and path rules cannot apply`);
  return endpoint;
}

const portsOf = (e: NetworkEndpoint): number[] => (e.ports?.length ? e.ports : e.port ? [e.port] : []);

/** The endpoint with these ports in the YAML form: `port` for one, `ports` for several (never both, as upstream writes it). */
function withPorts(endpoint: NetworkEndpoint, ports: readonly number[]): NetworkEndpoint {
  const { port: _port, ports: _ports, ...rest } = endpoint;
  const unique = [...new Set(ports)].sort((a, b) => a - b);
  return unique.length === 1 ? { ...rest, port: unique[0] } : { ...rest, ports: unique };
}

function matchesHostPort(endpoint: NetworkEndpoint, host: string, port: number): boolean {
  return (endpoint.host ?? '').toLowerCase() === host.toLowerCase() && portsOf(endpoint).includes(port);
}

function endpointsOverlap(a: NetworkEndpoint, b: NetworkEndpoint): boolean {
  // As upstream: a different path is a different endpoint.
  return (
    (a.host ?? '').toLowerCase() === (b.host ?? '').toLowerCase() &&
    (a.path ?? '') === (b.path ?? '') &&
    portsOf(a).some((p) => portsOf(b).includes(p))
  );
}

/** Same endpoint apart from its L7 allow and deny lists (host case-insensitive, ports as a set). */
function sameEndpoint(a: NetworkEndpoint, b: NetworkEndpoint): boolean {
  const shape = (
    { host, port: _port, ports: _ports, access: _access, rules: _rules, deny_rules: _deny, ...rest }: NetworkEndpoint,
    ports: number[],
  ) =>
    canonicalYaml({
      ...rest,
      host: (host ?? '').toLowerCase(),
      protocol: rest.protocol ?? '',
      ports: [...new Set(ports)].sort((x, y) => x - y),
    });
  return shape(a, portsOf(a)) === shape(b, portsOf(b));
}

function sameBinaries(a: NetworkPolicyRule, b: NetworkPolicyRule): boolean {
  const paths = (r: NetworkPolicyRule) => [...new Set(r.binaries.map((x: NetworkBinary) => x.path))].sort().join('\n');
  return paths(a) === paths(b);
}

function appendUnique<T>(existing: T[], incoming: readonly T[]): T[] {
  const seen = new Set(existing.map((x) => canonicalYaml(x)));
  const out = [...existing];
  for (const item of incoming) {
    const key = canonicalYaml(item);
    if (!seen.has(key)) seen.add(key), out.push(structuredClone(item));
  }
  return out;
}
