// The one interface the console and the CLI consume. The embedded core (in this process), a running core
// over its feed, and OpenShell gateways over gRPC all implement it; nothing above an adapter knows which.
// What a gateway can do is said by its capabilities, never guessed from its mode; failures are
// GatewayErrors (./errors.ts) with a code from one small taxonomy.
import type { PendingRequest } from '../core/inbox/pending-request.js';
import type { LogLine } from '../core/engine/log-buffer.js';
import type { NetworkPolicyRule } from '../core/policy/types.js';
import type { GatewayErrorCode } from './errors.js';
import type { DraftHistoryEntry, ProviderDetail, SandboxMetadata, SettingRow, SettingScope, WorkspaceInfo } from './operator-views.js';

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
  /**
   * How a local agent reaches this gateway, when it is a core on this machine: its HTTP proxy (host:port)
   * and its state dir (what `openshell-term run` finds it by). Absent for gateways whose sandboxes run elsewhere.
   */
  agents?: { proxy: string; stateDir: string };
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
  /**
   * Set while a gateway-global policy overrides the sandbox's own: its version. Upstream refuses every
   * draft decision then ("Cannot approve rules while a global policy is active"), and so does the console.
   */
  globalPolicy?: number;
}

/** A denial that can never become a draft chunk, and why (listed beside the inbox instead of never appearing). */
export interface UndraftableDenial {
  sandbox: string;
  host: string;
  port: number;
  /** The process the gateway named (e.g. "curl"). */
  process: string;
  kind: 'destination-guard' | 'allowed-ips-drift';
  why: string;
  /** When it was last seen, and how often. */
  at: number;
  count: number;
}

/** Why approve-all leaves a request out. */
export type SkipReason = 'security-flagged' | 'stale' | 'awaiting-proposal' | 'not-pending' | 'unknown-binary' | 'global-policy';

/** What approve-all would do with the requests asked for: those it approves, and those it skips and why. */
export interface ApprovePreview {
  approve: InboxRequest[];
  skip: Array<{ request: InboxRequest; why: SkipReason }>;
}

/** Narrowing a proposal before approving it: each list keeps a subset of what was proposed (never widens). */
export interface ChunkNarrowing {
  /** Keep only these ports (each must be one the proposal has). */
  ports?: number[];
  /** Keep only these binaries (literal paths the proposal has). */
  binaries?: string[];
  /** Allow only these L7 paths (within the proposed ones); the endpoint becomes REST-inspected. */
  paths?: string[];
  /** Pin the resolved addresses (IPs or CIDRs) the endpoint may reach. */
  allowedIps?: string[];
}

export type GatewayEvent =
  | {
      type: 'snapshot';
      requests: InboxRequest[];
      revision: RevisionInfo;
      logs: LogLine[];
      sandboxes: SandboxInfo[];
      /** The workspace shown (ALL_WORKSPACES for every one), on gateways with the `workspaces` capability. */
      workspace?: string;
    }
  | { type: 'request'; request: InboxRequest }
  | { type: 'revision'; revision: RevisionInfo; sandbox?: string }
  | { type: 'sandboxes'; sandboxes: SandboxInfo[] }
  /** Requests that no longer exist (a gateway cleared its drafts, a sandbox went away). */
  | { type: 'removed'; ids: string[] }
  | { type: 'log'; line: LogLine }
  /** A denial that will never be drafted (the store lists it beside the inbox, with why). */
  | { type: 'undraftable'; denial: UndraftableDenial }
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
  /** What the operator must know about this policy (wildcards that reach far, L7 rules not enforced, …), when the gateway says. */
  warnings?: string[];
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
  /** reapprove(): a rejected request can be approved after all. */
  reapprove: boolean;
  /** editChunk(): a proposal can be narrowed before it is approved. */
  editChunk: boolean;
  /** clearDrafts(): a sandbox's pending proposals can be dropped at once. */
  clearDrafts: boolean;
  /** A sandbox's metadata (image, providers, conditions, admission, restarts, policy load status). */
  sandboxMetadata: boolean;
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
  /** What approveAll(ids) would approve and what it would skip, and why: the confirm dialog lists it. */
  approveAllPreview(ids: string[]): Promise<ApprovePreview>;
  /** Only with capabilities.reapprove: approves a request that was rejected. */
  reapprove(id: string, lifetime: Lifetime): Promise<void>;
  /** Only with capabilities.editChunk: narrows the request's proposal (it stays pending). */
  editChunk(id: string, change: ChunkNarrowing): Promise<void>;
  /** Only with capabilities.clearDrafts: drops every pending proposal of the sandbox; resolves with how many. */
  clearDrafts(sandbox?: string): Promise<number>;
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

  // Operator views (operator-views.ts), each behind its capability; without it they reject with `unimplemented`.
  /** `workspaces`: the workspaces the caller may see. */
  workspaces(): Promise<WorkspaceInfo[]>;
  /** `workspaces`: show one workspace, or every one (ALL_WORKSPACES); resyncs (a new snapshot says which). */
  selectWorkspace(name: string): Promise<void>;
  /** `sandboxMetadata`. */
  sandboxMetadata(sandbox?: string): Promise<SandboxMetadata>;
  /** `settings`: with where each value comes from. */
  settings(scope: SettingScope): Promise<SettingRow[]>;
  /** `settings`: sets a key from what an operator typed (validated by its kind first); `null` deletes it. */
  setSetting(scope: SettingScope, key: string, raw: string | null): Promise<void>;
  /** `providers`: one provider's type and credential names with their expiry (never values). */
  providerDetail(name: string): Promise<ProviderDetail>;
  /** `draftHistory`: what happened to a sandbox's draft chunks, oldest first. */
  draftHistory(sandbox?: string): Promise<DraftHistoryEntry[]>;
}
