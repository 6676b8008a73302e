// Policy changes on one sandbox of a gateway, as the OpenShell CLI makes them: UpdateConfig with merge
// operations (never a replace), then — when asked — wait until the sandbox reports the new version
// loaded, polling GetSandboxPolicyStatus every second like upstream's `--wait`. Written against
// GatewayProtocol, so the same code drives a 0.0.x and a 0.1.x gateway.
import { randomUUID } from 'node:crypto';
import type { MergeOperation } from '../../core/policy/merge-operations.js';
import type { PresetDocument } from '../../core/policy/types.js';
import { GatewayError } from './grpc-errors.js';
import type { GatewayProtocol } from './protocol.js';
import type { SandboxRef } from './remote-model.js';

/** The sandbox to act on: the one named, else the only one the workspace has. */
export async function pickSandbox(protocol: GatewayProtocol, name: string | undefined, workspace = 'default'): Promise<SandboxRef> {
  if (name) return (await protocol.getSandbox(name, workspace)).ref;
  const list = await protocol.listSandboxes({ workspace });
  if (list.length !== 1)
    throw new GatewayError(
      list.length === 0 ? 'not-found' : 'invalid-argument',
      list.length === 0
        ? `workspace '${workspace}' has no sandboxes`
        : `workspace '${workspace}' has ${list.length} sandboxes; name one with --sandbox (${list
            .slice(0, 5)
            .map((s) => s.ref.name)
            .join(', ')}${list.length > 5 ? ', …' : ''})`,
    );
  return list[0].ref;
}

/** The rule keys of the sandbox's live policy. */
export async function livePolicyKeys(protocol: GatewayProtocol, sandbox: SandboxRef): Promise<Set<string>> {
  return new Set(Object.keys((await protocol.config(sandbox)).policy.network_policies));
}

/** On a gateway a preset is only its rules: applied when every one of them is in the live policy. */
export function presetApplied(doc: PresetDocument | undefined, live: ReadonlySet<string>): boolean {
  return !!doc && Object.keys(doc.network_policies).every((key) => live.has(key));
}

export function addPresetOperations(doc: PresetDocument): MergeOperation[] {
  return Object.entries(doc.network_policies).map(([rule_name, rule]) => ({ add_rule: { rule_name, rule } }));
}

export function removePresetOperations(doc: PresetDocument): MergeOperation[] {
  return Object.keys(doc.network_policies).map((rule_name) => ({ remove_rule: { rule_name } }));
}

export function mergeIntoSandbox(
  protocol: GatewayProtocol,
  sandbox: SandboxRef,
  operations: MergeOperation[],
): Promise<{ version: number; hash: string }> {
  return protocol.merge(sandbox, operations, randomUUID());
}

export type LoadOutcome = { outcome: 'loaded' | 'superseded' } | { outcome: 'failed'; error: string } | { outcome: 'timeout' };

/** Polls until the sandbox has loaded `version` (or a newer one superseded it), it failed, or time ran out. */
export async function waitForPolicyLoad(
  protocol: GatewayProtocol,
  sandbox: SandboxRef,
  version: number,
  timeoutMs: number,
  pollMs = 1000,
): Promise<LoadOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { revision } = await protocol.policyStatus({ sandbox }, version);
    if (revision.status === 'loaded') return { outcome: 'loaded' };
    if (revision.status === 'superseded') return { outcome: 'superseded' };
    if (revision.status === 'failed') return { outcome: 'failed', error: revision.loadError || 'no reason given' };
    if (Date.now() + pollMs > deadline) return { outcome: 'timeout' };
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
