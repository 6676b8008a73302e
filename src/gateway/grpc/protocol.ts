// The calls the console makes on a gateway, in remote-model.ts's shapes. One implementation per
// protocol generation (legacy-protocol.ts: 0.0.x; current-protocol.ts: 0.1.x under either service
// name); grpc-gateway.ts is written against this alone and never learns which one it has.
import type { MergeOperation } from '../../core/policy/merge-operations.js';
import type { NetworkPolicyRule } from '../../core/policy/types.js';
import type { GatewayError } from './grpc-errors.js';
import type {
  ApproveAllResult,
  DraftHistoryEntry,
  PolicyScope,
  ProtocolInfo,
  RemoteChunk,
  RemoteConfig,
  RemoteLogLine,
  RemoteProvider,
  RemoteRevision,
  RemoteSandbox,
  RemoteWorkspace,
  SandboxRef,
  SettingValue,
  WatchEvent,
  WorkspaceScope,
} from './remote-model.js';

export interface WatchOptions {
  /** Resume after this cursor (0.1.x); without one the gateway replays `tailLines`. */
  cursor?: string;
  tailLines: number;
  /** Legacy resume: only lines at or after this time. */
  sinceMs?: number;
}

export interface WatchHandlers {
  event(event: WatchEvent): void;
  /** The stream failed (OUT_OF_RANGE for a cursor the gateway no longer has). Not called after cancel(). */
  error(error: GatewayError): void;
  /** The gateway ended the stream cleanly. Not called after cancel(). */
  end(): void;
}

export interface WatchHandle {
  cancel(): void;
}

export interface SettingTarget {
  scope: PolicyScope;
  key: string;
  /** null deletes the key. */
  value: SettingValue | null;
}

export interface GatewayProtocol {
  readonly info: ProtocolInfo;
  health(): Promise<{ version: string; status: string }>;
  listWorkspaces(): Promise<RemoteWorkspace[]>;
  /** Every page. */
  listSandboxes(scope: WorkspaceScope): Promise<RemoteSandbox[]>;
  getSandbox(name: string, workspace: string): Promise<RemoteSandbox>;
  draft(sandbox: SandboxRef): Promise<{ chunks: RemoteChunk[]; draftVersion: string }>;
  approve(sandbox: SandboxRef, chunk: { id: string; reviewToken: string }, requestId: string): Promise<{ version: number; hash: string }>;
  reject(sandbox: SandboxRef, chunkId: string, reason: string, requestId: string): Promise<void>;
  approveAll(
    sandbox: SandboxRef,
    approvals: Array<{ id: string; reviewToken: string }>,
    includeSecurityFlagged: boolean,
    requestId: string,
  ): Promise<ApproveAllResult>;
  undo(sandbox: SandboxRef, chunkId: string, requestId: string): Promise<{ version: number; hash: string }>;
  edit(sandbox: SandboxRef, chunkId: string, rule: NetworkPolicyRule, requestId: string): Promise<void>;
  clear(sandbox: SandboxRef, requestId: string): Promise<number>;
  history(sandbox: SandboxRef): Promise<DraftHistoryEntry[]>;
  config(sandbox: SandboxRef): Promise<RemoteConfig>;
  gatewaySettings(): Promise<{ settings: Record<string, SettingValue>; revision: string }>;
  setSetting(target: SettingTarget, requestId: string): Promise<{ revision: string; deleted: boolean }>;
  merge(sandbox: SandboxRef, operations: MergeOperation[], requestId: string): Promise<{ version: number; hash: string }>;
  policyStatus(scope: PolicyScope, version: number): Promise<{ revision: RemoteRevision; active: number }>;
  /** Every page, newest first. */
  revisions(scope: PolicyScope): Promise<RemoteRevision[]>;
  logs(sandbox: SandboxRef, lines: number): Promise<RemoteLogLine[]>;
  providers(scope: WorkspaceScope): Promise<RemoteProvider[]>;
  provider(name: string, workspace: string): Promise<RemoteProvider>;
  watch(sandbox: SandboxRef, options: WatchOptions, handlers: WatchHandlers): WatchHandle;
}
