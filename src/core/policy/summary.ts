// Small facts about a policy that several commands and screens report.
import type { NetworkPolicyRule } from './types.js';

export function endpointCount(policies: Record<string, NetworkPolicyRule>): number {
  let count = 0;
  for (const rule of Object.values(policies)) count += rule.endpoints.length;
  return count;
}
