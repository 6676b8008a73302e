// What the gRPC adapter knows about a gateway, in one shape whichever protocol generation it speaks.
// legacy-protocol.ts and current-protocol.ts translate the wire into these; grpc-gateway.ts and the
// console above it see nothing else. A leaf module: types only.
import type { NetworkPolicyRule, SandboxPolicy } from '../../core/policy/types.js';
import type { DraftHistoryEntry, ProviderDetail, SandboxCondition, WorkspaceInfo } from '../operator-views.js';

export interface ProtocolInfo {
  generation: 'legacy' | 'current';
  /** Fully-qualified service name the calls go to. */
  service: string;
  /** `openshell.v1`, `ryno.v1`, or `openshell.v1 (0.0.x)`. */
  label: string;
}

/** One named workspace, or all the caller may see. */
export type WorkspaceScope = { workspace: string } | { all: true };

/** A sandbox as every RPC needs it: 0.1.x names it (and its workspace), 0.0.x wants its id for a few calls. */
export interface SandboxRef {
  name: string;
  workspace: string;
  id: string;
}

export type RemoteCondition = SandboxCondition;

export type AdmissionState = 'pending' | 'accepted' | 'rejected' | 'unknown';

export interface RemoteSandbox {
  ref: SandboxRef;
  /** "Ready", "Provisioning", "Completed", … (the enum without its prefix, capitalised). */
  phase: string;
  createdAt: number;
  policyVersion: number;
  image: string;
  providers: string[];
  conditions: RemoteCondition[];
  /** Configuration admission (0.1.x): rejected with an error is upstream's "Invalid config". */
  admission?: { state: AdmissionState; error: string; policyVersion: number };
  restartCount: number;
  exitCode?: number;
}

export type ChunkStatus = 'pending' | 'approved' | 'rejected';

export interface RemoteChunk {
  id: string;
  status: ChunkStatus;
  ruleName: string;
  rule: NetworkPolicyRule;
  rationale: string;
  securityNotes: string;
  confidence: number;
  stage: string;
  supersedes: string;
  createdAt: number;
  decidedAt: number;
  firstSeen: number;
  lastSeen: number;
  hitCount: number;
  binary: string;
  /** The gateway's prover verdict ("prover: no new findings", or findings one per line). */
  validationResult: string;
  rejectionReason: string;
  applicationError: string;
  reviewToken: string;
}

export interface RemoteLogLine {
  time: number;
  level: string;
  target: string;
  message: string;
  /** "gateway" or "sandbox". */
  source: string;
  fields: Record<string, string>;
}

export interface DraftNotice {
  draftVersion: string;
  newChunks: number;
  totalPending: number;
  summary: string;
}

/** One message of a WatchSandbox stream. `cursor` is set on resumable events (0.1.x only). */
export type WatchEvent =
  | { kind: 'sandbox'; sandbox: RemoteSandbox }
  | { kind: 'log'; line: RemoteLogLine; cursor: string }
  | { kind: 'platform'; time: number; source: string; type: string; reason: string; message: string; cursor: string }
  | { kind: 'warning'; message: string }
  | { kind: 'draft'; notice: DraftNotice };

export interface RemoteRevision {
  version: number;
  hash: string;
  /** loaded, pending, failed, superseded, unspecified. */
  status: string;
  loadError: string;
  createdAt: number;
  loadedAt: number;
  policy?: SandboxPolicy;
  provenance: Record<string, string>;
}

export type SettingValue =
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: string }
  | { kind: 'bytes'; value: string }
  | { kind: 'unset' };

export interface EffectiveSetting {
  value: SettingValue;
  /** Where the value comes from: the sandbox's own, the gateway-global one (which wins), or nowhere. */
  source: 'sandbox' | 'global' | 'unset';
}

export interface RemoteConfig {
  policy: SandboxPolicy;
  version: number;
  hash: string;
  settings: Record<string, EffectiveSetting>;
  /** `global` while a gateway-global policy is in force: upstream refuses draft approvals then. */
  policySource: 'sandbox' | 'global' | 'unspecified';
  globalPolicyVersion: number;
  /** 0.1.x: whether the gateway admitted this configuration, and why not. */
  admitted?: boolean;
  admissionError: string;
}

/** Credential names only: values never leave the adapter. */
export type RemoteProvider = ProviderDetail;

export type { DraftHistoryEntry };

export type RemoteWorkspace = WorkspaceInfo;

export interface ApproveAllResult {
  approved: number;
  skipped: number;
  version: number;
}

/** A policy scope: one sandbox, or the gateway-global policy. */
export type PolicyScope = { sandbox: SandboxRef } | { global: true };
