// An endpoint's L7 configuration, compiled once per policy: the protocol (case-insensitive, as newer
// upstream reads it), enforcement, body limits, MCP options and rules normalised the way upstream's
// loader normalises them (`tool` → params.name; an MCP rule without a method under
// allow_all_known_mcp_methods means "*", or tools/call when it names a tool). When the core cannot
// enforce an endpoint as written, `unenforceable` says why and every request through it is denied.
import { compileGlob, type GlobMatcher } from '../glob.js';
import type { L7Rule, L7Selector, NetworkEndpoint, QueryMatcher } from '../types.js';
import { DEFAULT_MCP_VERSION, isMcpVersion, type McpVersion } from './mcp-revisions.js';

export const DEFAULT_BODY_LIMIT = 64 * 1024;

export type L7Protocol = 'rest' | 'websocket' | 'graphql' | 'sql' | 'json-rpc' | 'mcp';
const L7_PROTOCOLS: readonly string[] = ['rest', 'websocket', 'graphql', 'sql', 'json-rpc', 'mcp'];
export const BODY_PROTOCOLS: ReadonlySet<string> = new Set(['graphql', 'json-rpc', 'mcp']);

export interface RpcRule {
  method: string;
  /** Generic JSON-RPC: "*" or exact; MCP: a "."-delimited glob (upstream's glob.match with no delimiters). */
  methodMatches: (method: string) => boolean;
  /** A method with glob syntax matches only core methods of the selected MCP revision (never extensions). */
  methodIsGlob: boolean;
  /** MCP params.name (tool) matcher. */
  tool?: QueryMatcher;
}

export interface McpOptions {
  versions: McpVersion[];
  strictToolNames: boolean;
  allowAllKnownMethods: boolean;
  /** Some allow rule names a tool: tools/call is then narrowed to listed tools even under allow_all. */
  narrowsTools: boolean;
}

export interface GraphqlRegistryEntry {
  operationType: string;
  operationName?: string;
  fields: string[];
}

export interface L7Config {
  protocol: L7Protocol | 'tcp' | '';
  /** Anything not written "enforce" runs in audit mode upstream; we enforce unknown spellings (see validate). */
  enforce: boolean;
  tlsSkip: boolean;
  bodyLimit?: number;
  mcp?: McpOptions;
  rpcAllow: RpcRule[];
  rpcDeny: RpcRule[];
  persistedQueries: 'deny' | 'allow_registered';
  registry: ReadonlyMap<string, GraphqlRegistryEntry>;
  unenforceable?: string;
}

export function normalizedProtocol(endpoint: NetworkEndpoint): string {
  return (endpoint.protocol ?? '').trim().toLowerCase();
}

/** Upstream: "enforce" enforces, "" and "audit" audit. We also enforce any other spelling rather than weaken it. */
export function enforcementOf(endpoint: NetworkEndpoint): boolean {
  const value = (endpoint.enforcement ?? '').trim().toLowerCase();
  return value !== '' && value !== 'audit';
}

export function compileL7Config(endpoint: NetworkEndpoint, rules: L7Rule[]): L7Config {
  const protocol = normalizedProtocol(endpoint);
  const config: L7Config = {
    protocol: protocol === '' || protocol === 'tcp' || L7_PROTOCOLS.includes(protocol) ? (protocol as L7Config['protocol']) : '',
    enforce: enforcementOf(endpoint),
    tlsSkip: (endpoint.tls ?? '').trim().toLowerCase() === 'skip',
    rpcAllow: [],
    rpcDeny: [],
    persistedQueries: endpoint.persisted_queries === 'allow_registered' ? 'allow_registered' : 'deny',
    registry: new Map(),
  };
  if (protocol !== '' && protocol !== 'tcp' && !L7_PROTOCOLS.includes(protocol)) {
    config.unenforceable = `unknown protocol '${endpoint.protocol}': the core cannot inspect it`;
    return config;
  }
  if ((protocol === 'json-rpc' || protocol === 'mcp') && endpoint.access) {
    config.unenforceable = `protocol ${protocol} does not support access presets ('access: ${endpoint.access}')`;
    return config;
  }
  const mcpStanza = (endpoint.mcp ?? undefined) as
    | { versions?: unknown; max_body_bytes?: number; strict_tool_names?: boolean; allow_all_known_mcp_methods?: boolean }
    | undefined;
  const jsonRpcStanza = (endpoint.json_rpc ?? undefined) as { max_body_bytes?: number } | undefined;
  if (protocol === 'graphql') config.bodyLimit = positive(endpoint.graphql_max_body_bytes) ?? DEFAULT_BODY_LIMIT;
  if (protocol === 'json-rpc' || protocol === 'mcp') {
    // Upstream has one JSON-RPC-family limit and prefers the mcp stanza when present.
    config.bodyLimit = (mcpStanza ? positive(mcpStanza.max_body_bytes) : positive(jsonRpcStanza?.max_body_bytes)) ?? DEFAULT_BODY_LIMIT;
  }
  if (protocol === 'mcp') {
    const declared = Array.isArray(mcpStanza?.versions) ? (mcpStanza.versions as unknown[]) : undefined;
    const versions =
      declared === undefined ? [DEFAULT_MCP_VERSION] : declared.filter((v): v is McpVersion => typeof v === 'string' && isMcpVersion(v));
    const allowAll = mcpStanza?.allow_all_known_mcp_methods === true;
    config.mcp = {
      versions,
      strictToolNames: mcpStanza?.strict_tool_names !== false,
      allowAllKnownMethods: allowAll,
      narrowsTools: false,
    };
    if (versions.length === 0 || (declared !== undefined && versions.length !== declared.length)) {
      config.unenforceable = `mcp.versions ${JSON.stringify(declared)} names no supported MCP revision exactly (supported: 2025-03-26, 2025-06-18, 2025-11-25)`;
    }
    const explicit = rules.length > 0 ? rules.map((r) => r.allow) : allowAll ? [{}] : [];
    for (const allow of explicit) {
      const rule = compileRpcRule(allow, 'mcp', allowAll);
      if (typeof rule === 'string') config.unenforceable ??= rule;
      else config.rpcAllow.push(rule);
    }
    config.mcp.narrowsTools = config.rpcAllow.some((r) => r.tool !== undefined);
    for (const deny of endpoint.deny_rules ?? []) {
      const rule = compileRpcRule(deny, 'mcp', allowAll);
      if (typeof rule === 'string') config.unenforceable ??= rule;
      else config.rpcDeny.push(rule);
    }
  }
  if (protocol === 'json-rpc') {
    for (const [list, selectors] of [
      [config.rpcAllow, rules.map((r) => r.allow)],
      [config.rpcDeny, endpoint.deny_rules ?? []],
    ] as const) {
      for (const selector of selectors) {
        const rule = compileRpcRule(selector, 'json-rpc', false);
        if (typeof rule === 'string') config.unenforceable ??= rule;
        else list.push(rule);
      }
    }
  }
  if (protocol === 'graphql' || protocol === 'websocket') {
    for (const [key, op] of Object.entries(
      (endpoint.graphql_persisted_queries ?? {}) as Record<
        string,
        Partial<GraphqlRegistryEntry> & { operation_type?: string; operation_name?: string }
      >,
    )) {
      (config.registry as Map<string, GraphqlRegistryEntry>).set(key, {
        operationType: op.operation_type ?? '',
        ...(op.operation_name ? { operationName: op.operation_name } : {}),
        fields: Array.isArray(op.fields) ? op.fields : [],
      });
    }
  }
  if (protocol === 'websocket' && hasGraphqlSelectors(endpoint, rules)) {
    // Upstream classifies GraphQL-over-WebSocket messages after the upgrade; our relay does not read
    // frames, so such an endpoint would pass every operation: refuse it instead.
    config.unenforceable =
      'GraphQL-over-WebSocket operation rules are not enforced by this core (messages after the upgrade are not inspected)';
  }
  return config;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function hasGraphqlSelectors(endpoint: NetworkEndpoint, rules: L7Rule[]): boolean {
  const gql = (s: L7Selector | undefined) => Boolean(s && (s.operation_type || s.operation_name || (s.fields && s.fields.length > 0)));
  return (
    rules.some((r) => gql(r.allow)) ||
    (endpoint.deny_rules ?? []).some(gql) ||
    Object.keys(endpoint.graphql_persisted_queries ?? {}).length > 0 ||
    (endpoint.persisted_queries !== undefined && endpoint.persisted_queries !== '' && endpoint.persisted_queries !== 'deny')
  );
}

const GLOB_SYNTAX = /[*?[\]{}]/;

function compileRpcRule(selector: L7Selector, protocol: 'mcp' | 'json-rpc', allowAll: boolean): RpcRule | string {
  const params = (selector.params ?? {}) as Record<string, unknown>;
  const extraParams = Object.keys(params).filter((k) => protocol === 'json-rpc' || k !== 'name');
  if (extraParams.length > 0) {
    return protocol === 'json-rpc'
      ? 'JSON-RPC rules do not support params matchers'
      : `MCP tool argument matching (params.${extraParams[0]}) is not supported`;
  }
  const tool = (selector.tool ?? (params.name as QueryMatcher | undefined)) as QueryMatcher | undefined;
  let method = selector.method ?? '';
  if (protocol === 'mcp' && method === '' && allowAll) method = tool !== undefined ? 'tools/call' : '*';
  if (method === '') return `${protocol} rule without a method`;
  if (protocol === 'json-rpc') {
    return { method, methodIsGlob: false, methodMatches: method === '*' ? () => true : (m) => m === method };
  }
  const glob: GlobMatcher = compileGlob(method, []);
  return { method, methodIsGlob: GLOB_SYNTAX.test(method), methodMatches: glob, ...(tool !== undefined ? { tool } : {}) };
}
