// What an operator can look at beyond the inbox, as every adapter reports it: workspaces, a sandbox's
// metadata, settings with their source, a provider's detail, a sandbox's draft history. Each is behind a
// capability (gateway.ts); an adapter without it rejects with `unimplemented`. A leaf module: types only.

/** The workspace name that selects every workspace at once. */
export const ALL_WORKSPACES = '*';

export interface WorkspaceInfo {
  name: string;
  /** active, deleting, … (lower case, without the enum prefix). */
  phase: string;
}

export interface SandboxCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
  /** ms epoch, 0 when the gateway did not say. */
  time: number;
}

/** A sandbox's metadata pane: what it runs, how it is doing, which policy it runs under and whether that loaded. */
export interface SandboxMetadata {
  name: string;
  workspace: string;
  phase: string;
  image: string;
  providers: string[];
  conditions: SandboxCondition[];
  /** Configuration admission: `rejected` with an error is upstream's "Invalid config". */
  admission: { state: string; error: string };
  restartCount: number;
  policyVersion: number;
  /** loaded, pending, failed, superseded, unknown. */
  policyStatus: string;
  policyLoadError: string;
  /** sandbox, global (a gateway-global policy is in force) or unspecified. */
  policySource: string;
}

/** Which settings: the gateway-global ones, or a sandbox's effective ones (unset sandbox: the first). */
export type SettingScope = 'global' | { sandbox?: string };

export interface SettingRow {
  key: string;
  /** As text ('' when unset). */
  value: string;
  /** string, bool, int, bytes, or unset. */
  kind: string;
  /** Where the value comes from: the sandbox's own, the gateway-global one (which wins), or nowhere. */
  source: 'sandbox' | 'global' | 'unset';
  /** The type a new value must have (the gateway's registry, else the current value's); absent: unknown. */
  type?: 'bool' | 'int' | 'string';
  /** The only values it takes, when the registry says. */
  allowed?: readonly string[];
}

export interface ProviderDetail {
  name: string;
  workspace: string;
  type: string;
  /** Credential names only: values never leave an adapter. */
  credentialNames: string[];
  /** Credential name → expiry (ms epoch); absent means it does not expire. */
  credentialExpiry: Record<string, number>;
  configKeys: string[];
}

export interface DraftHistoryEntry {
  time: number;
  /** proposed, approved, rejected, edited, cleared, … as the gateway says. */
  type: string;
  description: string;
  chunkId: string;
}
