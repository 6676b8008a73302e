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
  /** MCP only: tools/call `params.name` matcher (`tool` is its shorthand). */
  params?: Record<string, unknown>;
  tool?: QueryMatcher;
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
  /** Request header fields, names as sent (compared case-insensitively); a repeated field is an array. */
  headers?: Record<string, string | string[]>;
  /** The exact request body; absent means the request has none. */
  body?: Uint8Array | string;
}

/** What L7 inspection saw in a request: enough to show it in the inbox and to write a rule for it. */
export type L7Facts =
  | { kind: 'mcp'; method: string; tool?: string; frame?: 'receive-stream' | 'response' }
  | { kind: 'json-rpc'; method: string }
  | { kind: 'graphql'; operationType: string; operationName?: string }
  | { kind: 'http'; method: string; path: string };

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
   * the proxy then terminates TLS and decides each request inside. `bodyLimit` (json-rpc, mcp, graphql)
   * says the decision needs the request body: buffer up to that many bytes (refuse a bigger one) and pass
   * `headers` and `body` with the request. Not part of `policy eval` output.
   */
  inspect?: { protocol: string; tls: string; bodyLimit?: number };
  /** What inspection saw, on every decision that looked inside the request. */
  l7?: L7Facts;
  /**
   * Set on a denial of an MCP, JSON-RPC or GraphQL operation that no rule allowed or denied (an unlisted
   * tool, method or operation): the operator may still decide it, where the core holds such requests.
   */
  pendable?: true;
}
