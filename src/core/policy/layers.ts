// The effective policy is computed, never edited in place: baseline first, then each layer (presets,
// later session approvals) merged structurally by network_policies key, later layers replacing an
// earlier entry with the same key. Recomputing from the remaining layers is what makes removing a layer
// restore exactly the policy that existed before it was added.
import type { NetworkPolicyRule, PresetDocument, SandboxPolicy } from './types.js';

export type LayerKind = 'baseline' | 'preset' | 'merge' | 'approval';

export interface PolicyLayer {
  kind: LayerKind;
  /** Preset name, approval id, or "baseline". */
  name: string;
  network_policies: Record<string, NetworkPolicyRule>;
}

export interface ComposedPolicy {
  policy: SandboxPolicy;
  /** Which layer each network_policies key came from. */
  origin: Map<string, PolicyLayer>;
}

export function composeLayers(baseline: SandboxPolicy, layers: readonly PolicyLayer[]): ComposedPolicy {
  const origin = new Map<string, PolicyLayer>();
  const baseLayer: PolicyLayer = { kind: 'baseline', name: 'baseline', network_policies: baseline.network_policies };
  const network_policies: Record<string, NetworkPolicyRule> = {};
  for (const layer of [baseLayer, ...layers]) {
    for (const [key, rule] of Object.entries(layer.network_policies)) {
      network_policies[key] = structuredClone(rule);
      origin.set(key, layer);
    }
  }
  return { policy: { ...structuredClone(baseline), network_policies }, origin };
}

export function presetLayer(preset: PresetDocument): PolicyLayer {
  return { kind: 'preset', name: preset.preset.name, network_policies: preset.network_policies };
}

export function applyPresets(baseline: SandboxPolicy, presets: readonly PresetDocument[]): SandboxPolicy {
  return composeLayers(baseline, presets.map(presetLayer)).policy;
}
