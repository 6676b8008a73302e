// Sandbox policies between our YAML-shaped objects and openshell.sandbox.v1.SandboxPolicy messages.
// The field names are the same except filesystem_policy ↔ filesystem; proto3 fills every absent field
// with its default, so decoding drops defaults to give back the policy a person would have written.
import type { L7Selector, NetworkEndpoint, NetworkPolicyRule, SandboxPolicy } from '../../core/policy/types.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Removes proto3 defaults ('' / 0 / false / [] / {} / null) recursively; `keep` names keys kept even when 0. */
function stripDefaults(value: unknown, keep: ReadonlySet<string> = new Set()): unknown {
  if (Array.isArray(value)) return value.map((v) => stripDefaults(v, keep));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const stripped = stripDefaults(v, keep);
      if (!keep.has(key) && isDefault(stripped)) continue;
      out[key] = stripped;
    }
    return out;
  }
  return value;
}

function isDefault(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === 0 || v === '0' || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** Upstream's canonical endpoint carries `port` and all of `ports`; our schema takes one or the other. */
function onePortField(endpoint: NetworkEndpoint): NetworkEndpoint {
  const ports = [...new Set([...(endpoint.ports ?? []), ...(endpoint.port ? [endpoint.port] : [])])].sort((a, b) => a - b);
  const { port: _port, ports: _ports, ...rest } = endpoint;
  if (ports.length === 0) return rest;
  return ports.length === 1 ? { ...rest, port: ports[0] } : { ...rest, ports };
}

export function ruleFromProto(message: unknown): NetworkPolicyRule {
  const rule = (stripDefaults(message) ?? {}) as Partial<NetworkPolicyRule>;
  return { ...rule, endpoints: (rule.endpoints ?? []).map(onePortField), binaries: rule.binaries ?? [] } as NetworkPolicyRule;
}

export function policyFromProto(message: unknown): SandboxPolicy {
  const { filesystem, network_policies, ...rest } = (message ?? {}) as Record<string, unknown>;
  const policy = stripDefaults({ ...rest, filesystem_policy: filesystem }, new Set(['version'])) as Record<string, unknown>;
  const rules: Record<string, NetworkPolicyRule> = {};
  for (const [key, rule] of Object.entries((network_policies ?? {}) as Record<string, unknown>)) rules[key] = ruleFromProto(rule);
  return { ...policy, version: Number(policy.version ?? 1) || 1, network_policies: rules } as SandboxPolicy;
}

/** Query matchers may be a bare glob string in YAML; the message always has {glob, any}. */
function queryToProto(query: unknown): Json | undefined {
  if (!query || typeof query !== 'object') return undefined;
  return Object.fromEntries(Object.entries(query).map(([k, m]) => [k, typeof m === 'string' ? { glob: m } : (m as Json)]));
}

/** L7 allow/deny selectors from their messages (defaults dropped). */
export function selectorsFromProto(messages: unknown): L7Selector[] {
  return (Array.isArray(messages) ? messages : []).map((m) => (stripDefaults(m) ?? {}) as L7Selector);
}

export function selectorToProto(selector: L7Selector): Json {
  const out = { ...selector } as Record<string, Json>;
  if (selector.query) out.query = queryToProto(selector.query)!;
  if (selector.params) out.params = queryToProto(selector.params)!;
  return out;
}

export function ruleToProto(rule: NetworkPolicyRule): Json {
  return {
    ...(rule as unknown as Record<string, Json>),
    endpoints: rule.endpoints.map((e) => ({
      ...(e as Record<string, Json>),
      rules: (e.rules ?? []).map((r) => ({ allow: selectorToProto(r.allow) })),
      deny_rules: (e.deny_rules ?? []).map((d) => selectorToProto(d)),
    })),
    binaries: rule.binaries.map((b) => ({ ...b })),
  };
}

export function policyToProto(policy: SandboxPolicy): Json {
  const { filesystem_policy, network_policies, ...rest } = policy;
  return {
    ...(rest as Record<string, Json>),
    ...(filesystem_policy ? { filesystem: filesystem_policy as Json } : {}),
    network_policies: Object.fromEntries(Object.entries(network_policies).map(([k, r]) => [k, ruleToProto(r)])),
  };
}
