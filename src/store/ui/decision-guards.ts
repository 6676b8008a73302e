// Decisions the console refuses before asking the gateway: while a gateway-global policy overrides a
// sandbox's own, upstream's gateway rejects every draft decision on it (FAILED_PRECONDITION), and its
// console says so at the key press without a round trip. We do the same, in upstream's words, from what
// the adapter read (SandboxInfo.globalPolicy); the adapter still checks, for a policy set a moment ago.
import type { SandboxInfo } from '../../gateway/gateway.js';

export const GLOBAL_POLICY_APPROVE = 'Cannot approve rules while a global policy is active';
export const GLOBAL_POLICY_MODIFY = 'Cannot modify rules while a global policy is active';

/** The global policy version in force over this sandbox, if one is. */
export function globalPolicyOf(sandboxes: readonly SandboxInfo[], sandbox: string | undefined): number | undefined {
  return sandbox === undefined ? undefined : sandboxes.find((s) => s.name === sandbox)?.globalPolicy;
}

/** Why a decision on this sandbox is refused now, or nothing. */
export function globalPolicyRefusal(
  sandboxes: readonly SandboxInfo[],
  sandbox: string | undefined,
  verb: 'approve' | 'modify',
): string | undefined {
  const version = globalPolicyOf(sandboxes, sandbox);
  if (version === undefined) return undefined;
  const head = verb === 'approve' ? GLOBAL_POLICY_APPROVE : GLOBAL_POLICY_MODIFY;
  return `${head} (global policy v${version} overrides ${sandbox}'s own; delete the global policy to manage per-sandbox rules)`;
}

/** Sandboxes (of those given) under a global policy, for the inbox's banner. */
export function sandboxesUnderGlobalPolicy(sandboxes: readonly SandboxInfo[]): Array<{ name: string; version: number }> {
  return sandboxes.filter((s) => s.globalPolicy !== undefined).map((s) => ({ name: s.name, version: s.globalPolicy! }));
}
