// The 0.1.x generation (openshell.v1.OpenShell since 0.1.0, ryno.v1.Ryno in the newest tree): sandboxes
// by name plus an explicit WorkspaceSelector, page tokens, Timestamps, request_id on every mutation,
// resumable watch cursors, full L7RuleTarget for L7 appends.
import type { MergeOperation } from '../../core/policy/merge-operations.js';
import type { NetworkPolicyRule } from '../../core/policy/types.js';
import { GatewayError, toGatewayError } from './grpc-errors.js';
import { mergeOperationToProto, targetFor } from './merge-codec.js';
import type { OpenShellRpc } from './openshell-client.js';
import { policyFromProto, ruleToProto } from './policy-codec.js';
import type { LoadedApi } from './proto.js';
import type { GatewayProtocol, SettingTarget, WatchHandle, WatchHandlers, WatchOptions } from './protocol.js';
import type { PolicyScope, ProtocolInfo, RemoteConfig, SandboxRef, WorkspaceScope } from './remote-model.js';
import { isWire, list, num, obj, optObj, str, timestamp, type Wire } from './wire.js';
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

const PAGE_SIZE = 100;
/** A gateway that keeps handing out page tokens is cut off rather than followed forever. */
const MAX_PAGES = 1000;

const selector = (scope: WorkspaceScope): Wire => ('all' in scope ? { all_workspaces: {} } : { workspace: scope.workspace });
const named = (sandbox: SandboxRef): Wire => ({ sandbox: sandbox.name, workspace_scope: { workspace: sandbox.workspace } });

export class CurrentProtocol implements GatewayProtocol {
  readonly info: ProtocolInfo;

  constructor(
    private readonly rpc: OpenShellRpc,
    private readonly api: LoadedApi,
  ) {
    this.info = { generation: 'current', service: api.service, label: api.label };
  }

  private async call(method: string, request: Wire, timeoutMs?: number): Promise<Wire> {
    try {
      return await this.rpc.call(method, request, { timeoutMs }, this.api);
    } catch (error) {
      throw toGatewayError(error);
    }
  }

  /** Follows next_page_token until it is empty. */
  private async pages(method: string, request: Wire, field: string): Promise<Wire[]> {
    const out: Wire[] = [];
    let token = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await this.call(method, { ...request, page_size: PAGE_SIZE, page_token: token });
      out.push(...list(r, field));
      token = str(r, 'next_page_token');
      if (!token) return out;
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
    return (await this.pages('ListSandboxes', { workspace_scope: selector(scope) }, 'sandboxes')).map((s) => sandboxFromWire(s, 'current'));
  }

  async getSandbox(name: string, workspace: string) {
    const r = await this.call('GetSandbox', { name, workspace_scope: { workspace } });
    return sandboxFromWire(obj(r, 'sandbox'), 'current');
  }

  async draft(sandbox: SandboxRef) {
    const r = await this.call('GetDraftPolicy', { ...named(sandbox), status_filter: '' });
    return { chunks: list(r, 'chunks').map((c) => chunkFromWire(c, 'current')), draftVersion: str(r, 'draft_version') };
  }

  async approve(sandbox: SandboxRef, chunk: { id: string; reviewToken: string }, requestId: string) {
    const r = await this.call('ApproveDraftChunk', {
      ...named(sandbox),
      chunk_id: chunk.id,
      review_token: chunk.reviewToken,
      request_id: requestId,
    });
    return { version: num(r, 'policy_version'), hash: str(r, 'policy_hash') };
  }

  async reject(sandbox: SandboxRef, chunkId: string, reason: string, requestId: string) {
    await this.call('RejectDraftChunk', { ...named(sandbox), chunk_id: chunkId, reason, request_id: requestId });
  }

  async approveAll(
    sandbox: SandboxRef,
    approvals: Array<{ id: string; reviewToken: string }>,
    includeSecurityFlagged: boolean,
    requestId: string,
  ) {
    const r = await this.call(
      'ApproveAllDraftChunks',
      {
        ...named(sandbox),
        include_security_flagged: includeSecurityFlagged,
        approvals: approvals.map((a) => ({ chunk_id: a.id, review_token: a.reviewToken })),
        request_id: requestId,
      },
      30_000,
    );
    return { approved: num(r, 'chunks_approved'), skipped: num(r, 'chunks_skipped'), version: num(r, 'policy_version') };
  }

  async undo(sandbox: SandboxRef, chunkId: string, requestId: string) {
    const r = await this.call('UndoDraftChunk', { ...named(sandbox), chunk_id: chunkId, request_id: requestId });
    return { version: num(r, 'policy_version'), hash: str(r, 'policy_hash') };
  }

  async edit(sandbox: SandboxRef, chunkId: string, rule: NetworkPolicyRule, requestId: string) {
    await this.call('EditDraftChunk', {
      ...named(sandbox),
      chunk_id: chunkId,
      proposed_rule: ruleToProto(rule, 'current'),
      request_id: requestId,
    });
  }

  async clear(sandbox: SandboxRef, requestId: string) {
    return num(await this.call('ClearDraftChunks', { ...named(sandbox), request_id: requestId }), 'chunks_cleared');
  }

  async history(sandbox: SandboxRef) {
    return historyFromWire(list(await this.call('GetDraftHistory', named(sandbox)), 'entries'), 'current');
  }

  async config(sandbox: SandboxRef): Promise<RemoteConfig> {
    const r = await this.call('GetSandboxConfig', { name: sandbox.name, workspace_scope: { workspace: sandbox.workspace } });
    return {
      policy: policyFromProto(r.policy),
      version: num(r, 'version'),
      hash: str(r, 'policy_hash'),
      settings: effectiveSettingsFromWire(obj(r, 'settings')),
      policySource: policySourceOf(str(r, 'policy_source')),
      globalPolicyVersion: num(r, 'global_policy_version'),
      admitted: r.configuration_admitted === true,
      admissionError: str(r, 'configuration_error'),
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

  async setSetting(target: SettingTarget, requestId: string) {
    const scope = 'global' in target.scope ? { global: true } : named(target.scope.sandbox);
    const r = await this.call('UpdateConfig', {
      ...scope,
      setting_key: target.key,
      ...(target.value ? { setting_value: settingToWire(target.value) } : { delete_setting: true }),
      // Upstream's request_id is for sandbox-scoped writes; a global write goes without one.
      ...('global' in target.scope ? {} : { request_id: requestId }),
    });
    return { revision: str(r, 'settings_revision'), deleted: r.deleted === true };
  }

  async merge(sandbox: SandboxRef, operations: MergeOperation[], requestId: string) {
    // An L7 append must name its target exactly as stored: read the live policy only when one is asked for.
    const needsTarget = operations.some((op) => 'add_allow_rules' in op || 'add_deny_rules' in op);
    const live = needsTarget ? (await this.config(sandbox)).policy.network_policies : {};
    const r = await this.call('UpdateConfig', {
      ...named(sandbox),
      merge_operations: operations.map((op) => mergeOperationToProto(op, 'current', (host, port) => targetFor(live, host, port))),
      request_id: requestId,
    });
    return { version: num(r, 'version'), hash: str(r, 'policy_hash') };
  }

  private scoped(scope: PolicyScope): Wire {
    return 'global' in scope ? { global: true } : named(scope.sandbox);
  }

  async policyStatus(scope: PolicyScope, version: number) {
    const r = await this.call('GetSandboxPolicyStatus', { ...this.scoped(scope), version });
    return { revision: revisionFromWire(obj(r, 'revision'), 'current'), active: num(r, 'active_version') };
  }

  async revisions(scope: PolicyScope) {
    return (await this.pages('ListSandboxPolicies', this.scoped(scope), 'revisions')).map((r) => revisionFromWire(r, 'current'));
  }

  async logs(sandbox: SandboxRef, lines: number) {
    return list(await this.call('GetSandboxLogs', { ...named(sandbox), lines }), 'logs').map((l) => logFromWire(l, 'current'));
  }

  async providers(scope: WorkspaceScope) {
    return (await this.pages('ListProviders', { workspace_scope: selector(scope) }, 'providers')).map((p) =>
      providerFromWire(p, 'current'),
    );
  }

  async provider(name: string, workspace: string) {
    const r = await this.call('GetProvider', { name, workspace_scope: { workspace } });
    return providerFromWire(obj(r, 'provider'), 'current');
  }

  watch(sandbox: SandboxRef, options: WatchOptions, handlers: WatchHandlers): WatchHandle {
    const stream = this.rpc.stream(
      'WatchSandbox',
      {
        ...named(sandbox),
        follow_status: true,
        follow_logs: true,
        follow_events: true,
        // With a cursor the gateway replays exactly what came after it; the tail is for a fresh start.
        log_tail_lines: options.cursor ? 0 : options.tailLines,
        event_tail: options.cursor ? 0 : options.tailLines,
        resume_after_cursor: options.cursor ?? '',
        // Restarted without a cursor (OUT_OF_RANGE): only lines newer than the last one we showed.
        ...(!options.cursor && options.sinceMs ? { since_time: timestamp(options.sinceMs) } : {}),
      },
      this.api,
    );
    let cancelled = false;
    stream.on('data', (message: unknown) => {
      if (cancelled || !isWire(message)) return;
      const event = watchEventFromWire(message, 'current');
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
