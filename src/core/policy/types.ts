// The policy model, shaped exactly like the YAML upstream reads (snake_case keys), so a policy
// round-trips to disk and onto the wire without renaming. Field set per openshell.sandbox.v1 (sandbox.proto).

export type QueryMatcher = string | { glob?: string; any?: string[] };

/** An allow or deny selector for one L7 request. REST uses method/path/query; SQL uses command. */
export interface L7Selector {
  method?: string;
  path?: string;
  command?: string;
  query?: Record<string, QueryMatcher>;
  operation_type?: string;
  operation_name?: string;
  fields?: string[];
  params?: Record<string, QueryMatcher>;
}

export interface L7Rule {
  allow: L7Selector;
}

export type AccessPreset = 'read-only' | 'read-write' | 'full';

export interface NetworkEndpoint {
  host?: string;
  port?: number;
  ports?: number[];
  path?: string;
  protocol?: string;
  tls?: string;
  enforcement?: string;
  access?: string;
  rules?: L7Rule[];
  deny_rules?: L7Selector[];
  allowed_ips?: string[];
  allow_encoded_slash?: boolean;
  /** Remaining upstream endpoint fields (graphql, mcp, credentials, …) are carried through untouched. */
  [field: string]: unknown;
}

export interface NetworkBinary {
  path: string;
  harness?: boolean;
}

export interface NetworkPolicyRule {
  name?: string;
  endpoints: NetworkEndpoint[];
  binaries: NetworkBinary[];
}

export interface FilesystemPolicy {
  include_workdir?: boolean;
  read_only?: string[];
  read_write?: string[];
}

export interface SandboxPolicy {
  version: number;
  filesystem_policy?: FilesystemPolicy;
  landlock?: { compatibility?: string };
  process?: { run_as_user?: string; run_as_group?: string };
  network_policies: Record<string, NetworkPolicyRule>;
  network_middlewares?: Record<string, unknown>;
}

/** NemoClaw's preset file: metadata plus the network_policies entries it contributes. */
export interface PresetDocument {
  preset: { name: string; description?: string };
  network_policies: Record<string, NetworkPolicyRule>;
}

/** A loaded file: an OpenShell sandbox policy or a NemoClaw preset. */
export type PolicyDocument = { kind: 'policy'; policy: SandboxPolicy } | { kind: 'preset'; preset: PresetDocument };

/** One egress attempt to decide. Optional fields are absent when not visible (e.g. inside a tunnel). */
export interface DecisionRequest {
  host: string;
  port: number;
  binary: string;
  method?: string;
  path?: string;
  /** Decoded query parameters: name → every value given. */
  query?: Record<string, string[]>;
  /** Addresses the host resolved to; when absent no address check is possible beyond IP-literal hosts. */
  resolved_ips?: string[];
}

export type DecisionStage = 'l4' | 'l7' | 'ssrf' | 'no_match';

export interface Decision {
  outcome: 'allow' | 'deny';
  /** The network_policies key that decided, or null when none matched. */
  policy: string | null;
  stage: DecisionStage;
  /** True when an audit-mode endpoint let through what its rules would have denied. */
  audit: boolean;
  reason: string;
  /**
   * Set when an L4 allow lands on an endpoint whose traffic is inspected (an L7 protocol with rules):
   * the proxy then terminates TLS and decides each request inside. Not part of `policy eval` output.
   */
  inspect?: { protocol: string; tls: string };
}
