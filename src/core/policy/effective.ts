// Loads the files a command names into one compiled, effective policy: a baseline sandbox policy plus
// any presets layered on top. Problems come back as PolicyLoadError with every file:line:col.
import { compilePolicy, type CompiledPolicy } from './matcher.js';
import { applyPresets } from './layers.js';
import { loadPolicyFile, PolicyLoadError, type PolicyProblem } from './source.js';
import type { PresetDocument, SandboxPolicy } from './types.js';

export interface EffectivePolicy {
  policy: SandboxPolicy;
  compiled: CompiledPolicy;
  warnings: PolicyProblem[];
}

export async function loadEffectivePolicy(policyFile: string, presetFiles: string[] = []): Promise<EffectivePolicy> {
  const errors: PolicyProblem[] = [];
  const warnings: PolicyProblem[] = [];
  const base = await loadPolicyFile(policyFile, 'policy');
  errors.push(...base.errors);
  warnings.push(...base.warnings);
  const presets: PresetDocument[] = [];
  for (const file of presetFiles) {
    const loaded = await loadPolicyFile(file, 'preset');
    errors.push(...loaded.errors);
    warnings.push(...loaded.warnings);
    if (loaded.document?.kind === 'preset') presets.push(loaded.document.preset);
  }
  if (errors.length > 0 || base.document?.kind !== 'policy') throw new PolicyLoadError(errors);
  // Without presets the freshly read policy is the effective one: no layer to merge, nothing to copy.
  const policy = presets.length === 0 ? base.document.policy : applyPresets(base.document.policy, presets);
  return { policy, compiled: compilePolicy(policy), warnings };
}
