// The one interface the console and the CLI consume. The embedded core (in this process), a running core
// over its feed, and OpenShell gateways over gRPC all implement it; nothing above an adapter knows which.
// What a gateway can do is said by its capabilities, never guessed from its mode; failures are
// GatewayErrors (./errors.ts) with a code from one small taxonomy.
import type { PendingRequest } from '../core/inbox/pending-request.js';
import type { LogLine } from '../core/engine/log-buffer.js';
import type { NetworkPolicyRule } from '../core/policy/types.js';
import type { GatewayErrorCode } from './errors.js';

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
  /** A label for people (title bar, dashboard); code asks `capabilities` instead. */
  mode: 'standalone' | 'remote';
  endpoint: string;
  version: string;
  /** The wire protocol a gateway speaks (`openshell.v1`, `ryno.v1`, `openshell.v1 (0.0.x)`); absent for the embedded core. */
  protocol?: string;
}

export type ConnectionState =
  | { status: 'connecting' }
  | { status: 'connected' }
  | { status: 'disconnected'; error: string; code?: GatewayErrorCode; retryAt?: number };

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
  | { type: 'connection'; state: ConnectionState }
  /** Something the operator must hear about the gateway itself (its audit log fails, its inbox is full). */
  | { type: 'notice'; notice: GatewayNotice };

/**
 * A condition of the gateway as a whole. Each topic holds one condition at a time: a notice with
 * `active: false` ends the one before it (the audit log is written again, the inbox has room again).
 */
export interface GatewayNotice {
  topic: 'audit' | 'inbox';
  active: boolean;
  message: string;
}

export type Lifetime = 'once' | 'session' | `${number}m`;

export interface ApproveOptions {
  /**
   * Approve requests whose binary the gateway could not identify too. Such an approval lets ANY program
   * it cannot identify reach the destination, so without this they are refused (approve) or skipped
   * (approveAll), saying so.
   */
  allowUnknownBinary?: boolean;
}

/** What approveAll did not approve, and why (an unidentified binary, a stale or flagged proposal). */
export interface ApproveAllOutcome {
  skipped: Array<{ id: string; reason: string }>;
}

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
  /** Only with capabilities.promoteDryRun: say what would be written, write nothing. */
  dryRun?: boolean;
  /** A preset of that name exists: merge this grant into it (the default), replace it, or refuse. */
  ifExists?: 'merge' | 'replace' | 'refuse';
  /** Only with capabilities.promoteTls. A tunnel (CONNECT): inspect it (the default) or keep it blind. */
  inspect?: boolean;
}

/** What promote() takes: a request whose access may be left to the gateway (its default for the request's method; none for a blind tunnel). */
export type PromoteOrder = Omit<PromoteRequest, 'access'> & { access?: PromoteRequest['access'] };

export interface PromoteOutcome {
  name: string;
  /** Where the preset file went (or would go). */
  file: string;
  /** The preset as written (or as it would be), when the gateway says. */
  yaml?: string;
  dryRun?: boolean;
  /** What happened to the preset, when the gateway says: created, merged (into one that existed), replaced, unchanged. */
  change?: 'created' | 'merged' | 'replaced' | 'unchanged';
  /** One sentence on that change. */
  summary?: string;
  /** Unified YAML diff against the preset as it was (from /dev/null when new). */
  diff?: string;
  /** For a tunnel: whether it is now inspected, said in a sentence. */
  tunnel?: { inspect: boolean; note: string };
  /** Pending requests the new policy allowed, released at once. */
  released?: string[];
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

/**
 * What a gateway can do. The console offers (and the CLI attempts) only what is here; adding a feature
 * for some gateways is a new field, set by each adapter.
 */
export interface GatewayCapabilities {
  /** Approval lifetimes it honours, the first the default. None: an approval is a policy revision (undo takes it back). */
  lifetimes: readonly Lifetime[];
  /** promote(): a request becomes a persisted preset. */
  promote: boolean;
  /** promote() with dryRun previews (the file, the YAML) without writing. */
  promoteDryRun: boolean;
  /** promote() honours `inspect` (a tunnel kept blind or inspected). */
  promoteTls: boolean;
  /** presets(), addPreset(), removePreset(). */
  presets: boolean;
  /** applyTier(). */
  tiers: boolean;
  /** providers() lists inference/credential providers. */
  providers: boolean;
  /** Several workspaces (OpenShell 0.1.x). */
  workspaces: boolean;
  /** Sandbox and global settings. */
  settings: boolean;
  /** A sandbox's draft history. */
  draftHistory: boolean;
}

export interface Gateway {
  readonly info: GatewayInfo;
  readonly capabilities: GatewayCapabilities;
  /** Events in order; the first after start() is a snapshot. Returns an unsubscribe function. */
  subscribe(listener: (event: GatewayEvent) => void): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
  approve(id: string, lifetime: Lifetime, options?: ApproveOptions): Promise<void>;
  reject(id: string, reason?: string): Promise<void>;
  /** Approves the requests as one change where the gateway can (one policy revision). */
  approveAll(ids: string[], lifetime: Lifetime, options?: ApproveOptions): Promise<ApproveAllOutcome>;
  undo(id: string): Promise<void>;
  /** Calls that name a sandbox default to the first (standalone: the only) one. */
  policy(revision?: number, sandbox?: string): Promise<PolicyView>;
  revisions(sandbox?: string): Promise<RevisionInfo[]>;
  /** Inference/credential providers the gateway knows (the embedded core has none). */
  providers(): Promise<ProviderInfo[]>;
  presets(sandbox?: string): Promise<PresetSummary[]>;
  /** Writes the request's preset (NemoClaw format) and applies it; resolves with where it went. */
  promote(id: string, request: PromoteOrder): Promise<PromoteOutcome>;
  addPreset(name: string, sandbox?: string): Promise<void>;
  removePreset(name: string, sandbox?: string): Promise<void>;
  /** Applies a tier's presets (restricted, balanced, open); resolves with those newly applied. */
  applyTier(tier: string, sandbox?: string): Promise<string[]>;
}
