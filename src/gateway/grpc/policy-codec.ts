// Sandbox policies between our YAML-shaped objects and openshell.sandbox.v1.SandboxPolicy messages.
// The field names are the same except filesystem_policy ↔ filesystem; proto3 fills every absent field
// with its default, so decoding drops defaults to give back the policy a person would have written.
// 0.1.x (`current`) made an endpoint's tls / enforcement / access enums and dropped NetworkBinary.harness;
// 0.0.x (`legacy`) carries them as the strings the YAML has.
import type { L7Selector, NetworkEndpoint, NetworkPolicyRule, SandboxPolicy } from '../../core/policy/types.js';

export type PolicyGeneration = 'legacy' | 'current';

const ENDPOINT_ENUMS: Record<'tls' | 'enforcement' | 'access', { prefix: string; values: string[] }> = {
  tls: { prefix: 'NETWORK_TLS_MODE_', values: ['skip', 'terminate', 'passthrough'] },
  enforcement: { prefix: 'NETWORK_ENFORCEMENT_MODE_', values: ['enforce', 'audit'] },
  access: { prefix: 'NETWORK_ACCESS_PRESET_', values: ['read-only', 'read-write', 'full'] },
};

/** `read-only` → `NETWORK_ACCESS_PRESET_READ_ONLY`; a value the enum lacks is refused rather than sent as UNSPECIFIED. */
function enumName(field: keyof typeof ENDPOINT_ENUMS, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  const spec = ENDPOINT_ENUMS[field];
  if (typeof value !== 'string' || !spec.values.includes(value))
    throw new Error(`endpoint ${field} '${String(value)}' has no 0.1.x equivalent (expected ${spec.values.join(', ')})`);
  return spec.prefix + value.toUpperCase().replace(/-/g, '_');
}

/** `NETWORK_ACCESS_PRESET_READ_ONLY` → `read-only`; UNSPECIFIED → absent. */
function enumValue(field: keyof typeof ENDPOINT_ENUMS, name: unknown): string | undefined {
  if (typeof name !== 'string' || !name.startsWith(ENDPOINT_ENUMS[field].prefix))
    return typeof name === 'string' && name ? name : undefined;
  const value = name.slice(ENDPOINT_ENUMS[field].prefix.length).toLowerCase().replace(/_/g, '-');
  return value === 'unspecified' ? undefined : value;
}

function endpointFromWire(endpoint: NetworkEndpoint): NetworkEndpoint {
  const out: NetworkEndpoint = { ...endpoint };
  for (const field of ['tls', 'enforcement', 'access'] as const) {
    const value = enumValue(field, endpoint[field]);
    if (value === undefined) delete out[field];
    else out[field] = value;
  }
  return out;
}

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
  return {
    ...rule,
    endpoints: (rule.endpoints ?? []).map((e) => endpointFromWire(onePortField(e))),
    binaries: rule.binaries ?? [],
  } as NetworkPolicyRule;
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

function endpointToProto(e: NetworkEndpoint, generation: PolicyGeneration): Json {
  const out: Record<string, Json> = {
    ...(e as Record<string, Json>),
    rules: (e.rules ?? []).map((r) => ({ allow: selectorToProto(r.allow) })),
    deny_rules: (e.deny_rules ?? []).map((d) => selectorToProto(d)),
  };
  if (generation === 'current') {
    for (const field of ['tls', 'enforcement', 'access'] as const) {
      const name = enumName(field, e[field]);
      if (name) out[field] = name;
      else delete out[field];
    }
  }
  return out;
}

export function ruleToProto(rule: NetworkPolicyRule, generation: PolicyGeneration = 'legacy'): Json {
  return {
    ...(rule as unknown as Record<string, Json>),
    endpoints: rule.endpoints.map((e) => endpointToProto(e, generation)),
    // 0.1.0 removed `harness` (a binary is its path).
    binaries: rule.binaries.map((b) => (generation === 'current' ? { path: b.path } : { ...b })),
  };
}

export function policyToProto(policy: SandboxPolicy, generation: PolicyGeneration = 'legacy'): Json {
  const { filesystem_policy, network_policies, ...rest } = policy;
  return {
    ...(rest as Record<string, Json>),
    ...(filesystem_policy ? { filesystem: filesystem_policy as Json } : {}),
    network_policies: Object.fromEntries(Object.entries(network_policies).map(([k, r]) => [k, ruleToProto(r, generation)])),
  };
}
