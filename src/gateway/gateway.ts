// The one interface the console consumes. Standalone (embedded core), a remote core over the feed, and
// (later) OpenShell gateways over gRPC all implement it; components never see which.
import type { PendingRequest } from '../core/inbox/pending-request.js';
import type { LogLine } from '../core/engine/log-buffer.js';
import type { NetworkPolicyRule } from '../core/policy/types.js';

export type InboxRequest = PendingRequest & {
  /** The sandbox the request came from (standalone: the local one). */
  sandbox: string;
  /** What a gateway says about it (a draft chunk): its rule and the gateway's own checks. */
  proposal?: {
    ruleName: string;
    rule: NetworkPolicyRule;
    securityNotes: string;
    validationResult: string;
    applicationError: string;
    /** The gateway's prover / auto-approval verdict, as upstream's inbox shows it. */
    annotation?: { kind: 'auto-approved' | 'review-required' | 'reviewed' | 'application-blocked'; label: string; detail: string };
    /** Why an operator rejected it (what the agent sees to redraft). */
    guidance?: string;
  };
  /** A denial seen on the watch stream before the gateway has drafted a chunk for it (upgraded in place). */
  awaitingProposal?: boolean;
};

export interface RevisionInfo {
  number: number;
  sha256: string;
  time: number;
  cause: string;
  detail: string;
}

export interface GatewayInfo {
  name: string;
  mode: 'standalone' | 'remote';
  endpoint: string;
  version: string;
  /** The wire protocol a gateway speaks (`openshell.v1`, `ryno.v1`, `openshell.v1 (0.0.x)`); absent for the embedded core. */
  protocol?: string;
}

export type ConnectionState =
  | { status: 'connecting' }
  | { status: 'connected' }
  | { status: 'disconnected'; error: string; retryAt?: number };

export interface SandboxInfo {
  name: string;
  phase: string;
  policyRevision: number;
  pending: number;
  createdAt: number;
}

export type GatewayEvent =
  | { type: 'snapshot'; requests: InboxRequest[]; revision: RevisionInfo; logs: LogLine[]; sandboxes: SandboxInfo[] }
  | { type: 'request'; request: InboxRequest }
  | { type: 'revision'; revision: RevisionInfo; sandbox?: string }
  | { type: 'sandboxes'; sandboxes: SandboxInfo[] }
  /** Requests that no longer exist (a gateway cleared its drafts, a sandbox went away). */
  | { type: 'removed'; ids: string[] }
  | { type: 'log'; line: LogLine }
  | { type: 'connection'; state: ConnectionState };

export type Lifetime = 'once' | 'session' | `${number}m`;

export interface PolicyView {
  revision: RevisionInfo;
  yaml: string;
  /** network_policies key → the layer it came from ("baseline", a preset name, or "session approval"). */
  origins: Record<string, string>;
}

export interface PromoteRequest {
  name: string;
  description?: string;
  access: 'read-only' | 'read-write' | 'full';
  anyBinary: boolean;
}

export interface PresetSummary {
  name: string;
  source: 'builtin' | 'custom';
  applied: boolean;
  description: string;
}

export interface ProviderInfo {
  name: string;
  type: string;
  /** Credential names only: values never reach the console (gateways redact them anyway). */
  credentials: string[];
}

export interface Gateway {
  readonly info: GatewayInfo;
  /** Events in order; the first after start() is a snapshot. Returns an unsubscribe function. */
  subscribe(listener: (event: GatewayEvent) => void): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
  approve(id: string, lifetime: Lifetime): Promise<void>;
  reject(id: string, reason?: string): Promise<void>;
  approveAll(ids: string[], lifetime: Lifetime): Promise<void>;
  undo(id: string): Promise<void>;
  /** Calls that name a sandbox default to the first (standalone: the only) one. */
  policy(revision?: number, sandbox?: string): Promise<PolicyView>;
  revisions(sandbox?: string): Promise<RevisionInfo[]>;
  /** Inference/credential providers the gateway knows (the embedded core has none). */
  providers(): Promise<ProviderInfo[]>;
  presets(sandbox?: string): Promise<PresetSummary[]>;
  /** Writes the request's preset (NemoClaw format) and applies it; resolves with where it went. */
  promote(id: string, request: PromoteRequest): Promise<{ name: string; file: string }>;
  addPreset(name: string, sandbox?: string): Promise<void>;
  removePreset(name: string, sandbox?: string): Promise<void>;
  /** Applies a tier's presets (restricted, balanced, open); resolves with those newly applied. */
  applyTier(tier: string, sandbox?: string): Promise<string[]>;
}
