// Promoting into a preset that already exists: the new request's grant is added to what is there, and
// nothing the preset allowed before is removed or widened for anyone else. A preset rule grants every
// binary it lists every endpoint it lists, so the grant (one endpoint × one binary) goes where it adds
// exactly that pair and no other:
//   - already granted (same binary set, an equal or wider endpoint)   → unchanged
//   - a rule for exactly this binary with this host:port              → that endpoint's access widens
//   - a rule for exactly this binary                                   → the endpoint is added to it
//   - a rule whose only endpoint is exactly this one                   → the binary is added to it
//   - otherwise                                                        → a new rule, next to the others
import { ACCESS_PRESETS } from '../policy/access.js';
import type { L7Rule, NetworkEndpoint, NetworkPolicyRule, PresetDocument } from '../policy/types.js';

/** The descriptions presetFromRequest writes when the operator gives none. */
const AUTO_DESCRIPTION = /^((read-only|read-write|full) access|uninspected tunnel) to \S+ for /;

export type MergeChange = 'unchanged' | 'merged';

export interface MergedPreset {
  doc: PresetDocument;
  change: MergeChange;
  /** What was done, for the operator (one sentence). */
  summary: string;
}

/**
 * Adds what `grant` allows to `base`. A promoted grant is one rule × one endpoint × one binary
 * (presetFromRequest's shape); a wider document is added one endpoint × binary pair at a time, which
 * grants exactly what its rules did.
 */
export function mergePromoted(base: PresetDocument, grant: PresetDocument, description?: string): MergedPreset {
  let result: MergedPreset = { doc: base, change: 'unchanged', summary: 'nothing to add' };
  const summaries: string[] = [];
  for (const [key, rule] of Object.entries(grant.network_policies)) {
    for (const endpoint of rule.endpoints) {
      for (const binary of rule.binaries) {
        const one: PresetDocument = {
          preset: grant.preset,
          network_policies: { [key]: { ...rule, name: rule.name ?? key, endpoints: [endpoint], binaries: [binary] } },
        };
        const step = mergeOne(result.doc, one, description);
        summaries.push(step.summary);
        result = { doc: step.doc, change: result.change === 'merged' ? 'merged' : step.change, summary: '' };
      }
    }
  }
  return { ...result, summary: summaries.join('; ') || result.summary };
}

function mergeOne(base: PresetDocument, grant: PresetDocument, description?: string): MergedPreset {
  const [grantKey, grantRule] = onlyRule(grant);
  const endpoint = grantRule.endpoints[0];
  const binary = grantRule.binaries[0].path;
  const doc = structuredClone(base);
  const merged = (summary: string): MergedPreset => {
    // A description promote wrote itself lists the grants; keep it true. One the operator wrote is theirs.
    const added = grant.preset.description;
    if (
      !description?.trim() &&
      AUTO_DESCRIPTION.test(base.preset.description ?? '') &&
      added &&
      !base.preset.description?.includes(added)
    ) {
      doc.preset.description = `${base.preset.description}; ${added}`;
    }
    return { doc, change: 'merged', summary };
  };
  if (description?.trim()) doc.preset.description = description.trim();
  const rules = Object.entries(doc.network_policies);
  const where = `${endpoint.host}:${endpoint.port} for ${binary}`;

  const alone = rules.filter(([, rule]) => rule.binaries.length === 1 && rule.binaries[0].path === binary);
  for (const [key, rule] of rules) {
    if (!rule.binaries.some((b) => b.path === binary)) continue;
    if (rule.endpoints.some((e) => covers(e, endpoint))) {
      const same = JSON.stringify(doc) === JSON.stringify(base);
      return { doc, change: same ? 'unchanged' : 'merged', summary: `${where} is already allowed by rule '${key}'` };
    }
  }
  for (const [key, rule] of alone) {
    const same = rule.endpoints.findIndex((e) => sameDestination(e, endpoint));
    if (same >= 0) {
      rule.endpoints[same] = widened(rule.endpoints[same], endpoint);
      return merged(`rule '${key}': ${where} widened to ${describe(endpoint)}`);
    }
  }
  if (alone.length > 0) {
    const [key, rule] = alone[0];
    rule.endpoints.push(structuredClone(endpoint));
    return merged(`rule '${key}': added endpoint ${endpoint.host}:${endpoint.port} for ${binary}`);
  }
  for (const [key, rule] of rules) {
    if (rule.endpoints.length === 1 && equalEndpoints(rule.endpoints[0], endpoint)) {
      rule.binaries.push({ path: binary });
      return merged(`rule '${key}': added binary ${binary}`);
    }
  }
  const key = freeKey(doc, grantKey);
  doc.network_policies[key] = { ...structuredClone(grantRule), name: key };
  return merged(`new rule '${key}': ${where}`);
}

function onlyRule(grant: PresetDocument): [string, NetworkPolicyRule] {
  const entries = Object.entries(grant.network_policies);
  const rule = entries[0]?.[1];
  if (entries.length !== 1 || rule.endpoints.length !== 1 || rule.binaries.length !== 1) {
    throw new Error('a promoted grant has exactly one rule with one endpoint and one binary');
  }
  return entries[0];
}

function sameDestination(a: NetworkEndpoint, b: NetworkEndpoint): boolean {
  return a.host?.toLowerCase() === b.host?.toLowerCase() && a.port === b.port && !a.ports?.length && !a.allowed_ips;
}

/** True when `have` already admits everything `want` does (for the same binaries). */
function covers(have: NetworkEndpoint, want: NetworkEndpoint): boolean {
  if (!sameDestination(have, want)) return false;
  if (have.protocol === undefined) return want.protocol === undefined; // L4 admits everything, but uninspected
  if (want.protocol === undefined) return false;
  if (have.enforcement !== want.enforcement || have.rules?.length || have.deny_rules?.length) return false;
  return rank(have.access) >= rank(want.access);
}

/** An endpoint for the same destination and binary, wide enough for both. Explicit rules gain the new access's methods. */
function widened(have: NetworkEndpoint, want: NetworkEndpoint): NetworkEndpoint {
  // A tunnel the operator chose not to inspect replaces inspection for this binary: the diff shows it.
  if (want.protocol === undefined || have.protocol === undefined) return structuredClone(want.protocol === undefined ? want : have);
  const next = structuredClone(have);
  if (have.rules?.length) {
    const add = accessRules(want.access);
    for (const rule of add) if (!next.rules!.some((r) => JSON.stringify(r) === JSON.stringify(rule))) next.rules!.push(rule);
    return next;
  }
  if (rank(want.access) > rank(have.access)) next.access = want.access;
  return next;
}

function accessRules(access: string | undefined): L7Rule[] {
  const methods =
    access === 'full' ? ['*'] : access === 'read-write' ? ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH'] : ['GET', 'HEAD', 'OPTIONS'];
  return methods.map((method) => ({ allow: { method, path: '/**' } }));
}

function rank(access: string | undefined): number {
  return ACCESS_PRESETS.indexOf((access ?? '') as (typeof ACCESS_PRESETS)[number]);
}

function equalEndpoints(a: NetworkEndpoint, b: NetworkEndpoint): boolean {
  return sameDestination(a, b) && JSON.stringify(sorted(a)) === JSON.stringify(sorted({ ...b, host: a.host }));
}

function sorted(endpoint: NetworkEndpoint): [string, unknown][] {
  return Object.entries(endpoint).sort(([x], [y]) => (x < y ? -1 : 1));
}

function describe(endpoint: NetworkEndpoint): string {
  return endpoint.protocol === undefined ? 'an uninspected tunnel' : `${endpoint.access} access`;
}

function freeKey(doc: PresetDocument, base: string): string {
  if (!(base in doc.network_policies)) return base;
  for (let n = 2; ; n++) if (!(`${base}_${n}` in doc.network_policies)) return `${base}_${n}`;
}
