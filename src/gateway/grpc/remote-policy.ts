// Policy changes on one sandbox of a gateway, as the OpenShell CLI makes them: UpdateConfig with merge
// operations (never a replace), then — when asked — wait until the sandbox reports the new version
// loaded, polling GetSandboxPolicyStatus every second like upstream's `--wait`.
import type { MergeOperation } from '../../core/policy/merge-operations.js';
import type { PresetDocument } from '../../core/policy/types.js';
import { mergeOperationToProto } from './merge-codec.js';
import type { OpenShellRpc } from './openshell-client.js';

export interface SandboxRef {
  name: string;
  workspace?: string;
}

/** The sandbox to act on: the one named, else the only one the gateway has. */
export async function pickSandbox(rpc: OpenShellRpc, name: string | undefined, workspace = ''): Promise<SandboxRef & { id: string }> {
  if (name) {
    const r = await rpc.call('GetSandbox', { name, workspace });
    return { name, workspace, id: r.sandbox?.metadata?.id ?? '' };
  }
  const list = (await rpc.call('ListSandboxes', { limit: 100, workspace })).sandboxes ?? [];
  if (list.length !== 1)
    throw new Error(
      list.length === 0
        ? 'the gateway has no sandboxes'
        : `the gateway has ${list.length} sandboxes; name one with --sandbox (${list
            .slice(0, 5)
            .map((s: { metadata?: { name?: string } }) => s.metadata?.name)
            .join(', ')}${list.length > 5 ? ', …' : ''})`,
    );
  return { name: list[0].metadata.name, workspace, id: list[0].metadata.id };
}

/** The rule keys of the sandbox's live policy. */
export async function livePolicyKeys(rpc: OpenShellRpc, sandboxId: string): Promise<Set<string>> {
  const config = await rpc.call('GetSandboxConfig', { sandbox_id: sandboxId });
  return new Set(Object.keys(config.policy?.network_policies ?? {}));
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

export async function mergeIntoSandbox(
  rpc: OpenShellRpc,
  sandbox: SandboxRef,
  operations: MergeOperation[],
): Promise<{ version: number; hash: string }> {
  const r = await rpc.call('UpdateConfig', {
    name: sandbox.name,
    workspace: sandbox.workspace ?? '',
    merge_operations: operations.map(mergeOperationToProto),
  });
  return { version: r.version, hash: r.policy_hash };
}

export type LoadOutcome = { outcome: 'loaded' | 'superseded' } | { outcome: 'failed'; error: string } | { outcome: 'timeout' };

/** Polls until the sandbox has loaded `version` (or a newer one superseded it), it failed, or time ran out. */
export async function waitForPolicyLoad(
  rpc: OpenShellRpc,
  sandbox: SandboxRef,
  version: number,
  timeoutMs: number,
  pollMs = 1000,
): Promise<LoadOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await rpc.call('GetSandboxPolicyStatus', { name: sandbox.name, version, workspace: sandbox.workspace ?? '' });
    const status = String(r.revision?.status ?? '');
    if (status === 'POLICY_STATUS_LOADED') return { outcome: 'loaded' };
    if (status === 'POLICY_STATUS_SUPERSEDED') return { outcome: 'superseded' };
    if (status === 'POLICY_STATUS_FAILED') return { outcome: 'failed', error: r.revision?.load_error || 'no reason given' };
    if (Date.now() + pollMs > deadline) return { outcome: 'timeout' };
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
