// The 0.0.x generation (openshell.v1.OpenShell before 0.1.0, upstream 2f7fb655): workspace strings
// (empty = default), sandbox ids for the config, log and watch calls, limit/offset paging, `*_ms`
// times, no request_id (a retried decision relies on the review token and the chunk's status instead),
// no watch cursors (a resumed stream asks for lines since the last one seen).
import type { MergeOperation } from '../../core/policy/merge-operations.js';
import type { NetworkPolicyRule } from '../../core/policy/types.js';
import { GatewayError, toGatewayError } from './grpc-errors.js';
import { mergeOperationToProto } from './merge-codec.js';
import type { OpenShellRpc } from './openshell-client.js';
import { policyFromProto, ruleToProto } from './policy-codec.js';
import type { LoadedApi } from './proto.js';
import type { GatewayProtocol, SettingTarget, WatchHandle, WatchHandlers, WatchOptions } from './protocol.js';
import type { PolicyScope, ProtocolInfo, RemoteConfig, SandboxRef, WorkspaceScope } from './remote-model.js';
import { isWire, list, num, obj, optObj, str, type Wire } from './wire.js';
import {
  chunkFromWire,
  effectiveSettingsFromWire,
  historyFromWire,
  logFromWire,
  policySourceOf,
  providerFromWire,
  revisionFromWire,
  sandboxFromWire,
  settingFromWire,
  settingToWire,
  watchEventFromWire,
} from './wire-decode.js';

const PAGE = 100;
const MAX_PAGES = 1000;

const workspaceOf = (scope: WorkspaceScope): Wire =>
  'all' in scope ? { workspace: '', all_workspaces: true } : { workspace: scope.workspace };
const named = (sandbox: SandboxRef): Wire => ({ name: sandbox.name, workspace: sandbox.workspace });

export class LegacyProtocol implements GatewayProtocol {
  readonly info: ProtocolInfo;

  constructor(
    private readonly rpc: OpenShellRpc,
    private readonly api: LoadedApi,
  ) {
    this.info = { generation: 'legacy', service: api.service, label: api.label };
  }

  private async call(method: string, request: Wire, timeoutMs?: number): Promise<Wire> {
    try {
      return await this.rpc.call(method, request, { timeoutMs }, this.api);
    } catch (error) {
      throw toGatewayError(error);
    }
  }

  /** Offset paging as 0.0.x has it: pages until one comes back short. */
  private async pages(method: string, request: Wire, field: string): Promise<Wire[]> {
    const out: Wire[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const items = list(await this.call(method, { ...request, limit: PAGE, offset: page * PAGE }), field);
      out.push(...items);
      if (items.length < PAGE) return out;
    }
    throw new GatewayError('failed-precondition', `${method}: the gateway kept paging past ${MAX_PAGES} pages`);
  }

  async health() {
    const r = await this.call('Health', {});
    return { version: str(r, 'version'), status: str(r, 'status') };
  }

  async listWorkspaces() {
    return (await this.pages('ListWorkspaces', {}, 'workspaces')).map((w) => ({
      name: str(obj(w, 'metadata'), 'name'),
      phase: str(obj(w, 'status'), 'phase').replace('WORKSPACE_PHASE_', '').toLowerCase() || 'unspecified',
    }));
  }

  async listSandboxes(scope: WorkspaceScope) {
    return (await this.pages('ListSandboxes', workspaceOf(scope), 'sandboxes')).map((s) => sandboxFromWire(s, 'legacy'));
  }

  async getSandbox(name: string, workspace: string) {
    return sandboxFromWire(obj(await this.call('GetSandbox', { name, workspace }), 'sandbox'), 'legacy');
  }

  async draft(sandbox: SandboxRef) {
    const r = await this.call('GetDraftPolicy', { ...named(sandbox), status_filter: '' });
    return { chunks: list(r, 'chunks').map((c) => chunkFromWire(c, 'legacy')), draftVersion: str(r, 'draft_version') };
  }

  async approve(sandbox: SandboxRef, chunk: { id: string; reviewToken: string }) {
    const r = await this.call('ApproveDraftChunk', { ...named(sandbox), chunk_id: chunk.id, review_token: chunk.reviewToken });
    return { version: num(r, 'policy_version'), hash: str(r, 'policy_hash') };
  }

  async reject(sandbox: SandboxRef, chunkId: string, reason: string) {
    await this.call('RejectDraftChunk', { ...named(sandbox), chunk_id: chunkId, reason });
  }

  async approveAll(sandbox: SandboxRef, approvals: Array<{ id: string; reviewToken: string }>, includeSecurityFlagged: boolean) {
    const r = await this.call(
      'ApproveAllDraftChunks',
      {
        ...named(sandbox),
        include_security_flagged: includeSecurityFlagged,
        approvals: approvals.map((a) => ({ chunk_id: a.id, review_token: a.reviewToken })),
      },
      30_000,
    );
    return { approved: num(r, 'chunks_approved'), skipped: num(r, 'chunks_skipped'), version: num(r, 'policy_version') };
  }

  async undo(sandbox: SandboxRef, chunkId: string) {
    const r = await this.call('UndoDraftChunk', { ...named(sandbox), chunk_id: chunkId });
    return { version: num(r, 'policy_version'), hash: str(r, 'policy_hash') };
  }

  async edit(sandbox: SandboxRef, chunkId: string, rule: NetworkPolicyRule) {
    await this.call('EditDraftChunk', { ...named(sandbox), chunk_id: chunkId, proposed_rule: ruleToProto(rule, 'legacy') });
  }

  async clear(sandbox: SandboxRef) {
    return num(await this.call('ClearDraftChunks', named(sandbox)), 'chunks_cleared');
  }

  async history(sandbox: SandboxRef) {
    return historyFromWire(list(await this.call('GetDraftHistory', named(sandbox)), 'entries'), 'legacy');
  }

  async config(sandbox: SandboxRef): Promise<RemoteConfig> {
    const r = await this.call('GetSandboxConfig', { sandbox_id: sandbox.id });
    return {
      policy: policyFromProto(r.policy),
      version: num(r, 'version'),
      hash: str(r, 'policy_hash'),
      settings: effectiveSettingsFromWire(obj(r, 'settings')),
      policySource: policySourceOf(str(r, 'policy_source')),
      globalPolicyVersion: num(r, 'global_policy_version'),
      admissionError: '',
    };
  }

  async gatewaySettings() {
    const r = await this.call('GetGatewayConfig', {});
    const settings = obj(r, 'settings');
    return {
      settings: Object.fromEntries(Object.keys(settings).map((k) => [k, settingFromWire(optObj(settings, k))])),
      revision: str(r, 'settings_revision'),
    };
  }

  async setSetting(target: SettingTarget) {
    const scope = 'global' in target.scope ? { global: true } : named(target.scope.sandbox);
    const r = await this.call('UpdateConfig', {
      ...scope,
      setting_key: target.key,
      ...(target.value ? { setting_value: settingToWire(target.value) } : { delete_setting: true }),
    });
    return { revision: str(r, 'settings_revision'), deleted: r.deleted === true };
  }

  async merge(sandbox: SandboxRef, operations: MergeOperation[]) {
    const r = await this.call('UpdateConfig', {
      ...named(sandbox),
      merge_operations: operations.map((op) => mergeOperationToProto(op, 'legacy')),
    });
    return { version: num(r, 'version'), hash: str(r, 'policy_hash') };
  }

  private scoped(scope: PolicyScope): Wire {
    return 'global' in scope ? { global: true } : named(scope.sandbox);
  }

  async policyStatus(scope: PolicyScope, version: number) {
    const r = await this.call('GetSandboxPolicyStatus', { ...this.scoped(scope), version });
    return { revision: revisionFromWire(obj(r, 'revision'), 'legacy'), active: num(r, 'active_version') };
  }

  async revisions(scope: PolicyScope) {
    return (await this.pages('ListSandboxPolicies', this.scoped(scope), 'revisions')).map((r) => revisionFromWire(r, 'legacy'));
  }

  async logs(sandbox: SandboxRef, lines: number) {
    return list(await this.call('GetSandboxLogs', { sandbox_id: sandbox.id, lines, workspace: sandbox.workspace }), 'logs').map((l) =>
      logFromWire(l, 'legacy'),
    );
  }

  async providers(scope: WorkspaceScope) {
    return (await this.pages('ListProviders', workspaceOf(scope), 'providers')).map((p) => providerFromWire(p, 'legacy'));
  }

  async provider(name: string, workspace: string) {
    return providerFromWire(obj(await this.call('GetProvider', { name, workspace }), 'provider'), 'legacy');
  }

  watch(sandbox: SandboxRef, options: WatchOptions, handlers: WatchHandlers): WatchHandle {
    const stream = this.rpc.stream(
      'WatchSandbox',
      {
        id: sandbox.id,
        follow_status: true,
        follow_logs: true,
        follow_events: true,
        log_tail_lines: options.tailLines,
        event_tail: options.tailLines,
        log_since_ms: String(options.sinceMs ?? 0),
      },
      this.api,
    );
    let cancelled = false;
    stream.on('data', (message: unknown) => {
      if (cancelled || !isWire(message)) return;
      const event = watchEventFromWire(message, 'legacy');
      if (event) handlers.event(event);
    });
    stream.on('error', (error: unknown) => !cancelled && handlers.error(toGatewayError(error)));
    stream.on('end', () => !cancelled && handlers.end());
    return {
      cancel: () => {
        cancelled = true;
        stream.cancel();
      },
    };
  }
}
