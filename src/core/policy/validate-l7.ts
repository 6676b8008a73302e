// Load-time rules for the body protocols, as upstream's loader applies them (supervisor l7/mod.rs
// validate_l7_policies, openshell-policy lib.rs validate_sandbox_policy, policy-schema validate_mcp_config):
// JSON-RPC rules need an exact method (or "*") and take no params; MCP rules need a method unless the
// endpoint's method profile is on, globs only in the tools/ family, at most a tool name matcher; GraphQL
// rules need an operation type; MCP revisions must be exact, supported and listed once.
import { isMcpVersion, MCP_VERSIONS } from './l7/mcp-revisions.js';
import { compileGlob } from './glob.js';
import type { L7Selector, NetworkEndpoint, QueryMatcher } from './types.js';

export interface L7Reporter {
  error(path: string, message: string): void;
  errorAtKey(path: string, message: string): void;
  warn(path: string, message: string): void;
}

const GLOB_SYNTAX = /[*?[\]{}]/;
const GRAPHQL_TYPES = ['query', 'mutation', 'subscription', '*'];
const MCP_VERSION_REMEDIATION =
  'omit mcp.versions to use the pinned default revision, use an exact supported revision, or omit protocol and mcp for deliberate uninspected L4 passthrough only when that weaker boundary is acceptable';

type Mcp = { versions?: unknown[]; strict_tool_names?: boolean; allow_all_known_mcp_methods?: boolean; max_body_bytes?: number };

export function validateBodyProtocols(ep: NetworkEndpoint, protocol: string, loc: string, report: L7Reporter): void {
  const mcp = ep.mcp as Mcp | undefined;
  if (mcp !== undefined && protocol !== 'mcp') {
    report.errorAtKey(`${loc}.mcp`, `mcp options are only valid for protocol mcp (this endpoint is '${ep.protocol ?? ''}')`);
  }
  if (ep.json_rpc !== undefined && protocol !== 'json-rpc' && protocol !== 'mcp') {
    report.warn(`${loc}.json_rpc`, 'JSON-RPC-specific endpoint fields are ignored unless protocol is json-rpc or mcp');
  }
  if ((ep.json_rpc as { max_body_bytes?: number } | undefined)?.max_body_bytes === 0) {
    report.error(`${loc}.json_rpc.max_body_bytes`, 'json_rpc.max_body_bytes must be a positive integer');
  }
  if (mcp?.max_body_bytes === 0) report.error(`${loc}.mcp.max_body_bytes`, 'mcp.max_body_bytes must be a positive integer');
  if (ep.graphql_max_body_bytes === 0) report.error(`${loc}.graphql_max_body_bytes`, 'graphql_max_body_bytes must be a positive integer');
  const mode = ep.persisted_queries;
  if (typeof mode === 'string' && mode !== '' && mode !== 'deny' && mode !== 'allow_registered') {
    report.error(`${loc}.persisted_queries`, `persisted_queries must be 'deny' or 'allow_registered', got '${mode}'`);
  }
  const graphqlFields =
    ep.persisted_queries !== undefined || ep.graphql_persisted_queries !== undefined || ep.graphql_max_body_bytes !== undefined;
  if (graphqlFields && protocol !== 'graphql' && protocol !== 'websocket') {
    report.warn(loc, 'GraphQL-specific endpoint fields are ignored unless protocol is graphql or websocket');
  }
  for (const [key, op] of Object.entries((ep.graphql_persisted_queries ?? {}) as Record<string, L7Selector>)) {
    validateGraphqlSelector(op, `${loc}.graphql_persisted_queries.${key}`, report);
  }
  if (protocol === 'mcp') validateMcpEndpoint(ep, mcp, loc, report);

  const rules = ep.rules ?? [];
  const denies = ep.deny_rules ?? [];
  if (protocol === 'json-rpc') {
    rules.forEach((r, i) => r.allow && validateJsonRpcSelector(r.allow, `${loc}.rules[${i}].allow`, report));
    denies.forEach((d, i) => validateJsonRpcSelector(d, `${loc}.deny_rules[${i}]`, report));
  }
  if (protocol === 'graphql') {
    rules.forEach((r, i) => r.allow && validateGraphqlSelector(r.allow, `${loc}.rules[${i}].allow`, report));
    denies.forEach((d, i) => validateGraphqlSelector(d, `${loc}.deny_rules[${i}]`, report));
  } else if (protocol !== 'websocket') {
    rules.forEach(
      (r, i) =>
        r.allow &&
        hasGraphqlFields(r.allow) &&
        report.warn(`${loc}.rules[${i}].allow`, 'GraphQL rule fields are ignored unless protocol is graphql or websocket'),
    );
  }
  if (protocol !== 'mcp') {
    for (const [list, items] of [
      ['rules', rules.map((r) => r.allow)],
      ['deny_rules', denies],
    ] as const) {
      items.forEach((s, i) => {
        const where = list === 'rules' ? `${loc}.rules[${i}].allow` : `${loc}.deny_rules[${i}]`;
        if (s?.tool !== undefined) report.errorAtKey(`${where}.tool`, 'MCP tool matching is only valid for protocol mcp');
        if (s?.params !== undefined && protocol !== 'json-rpc')
          report.errorAtKey(`${where}.params`, 'params matching is only valid for protocol mcp');
      });
    }
  }
}

function hasGraphqlFields(s: L7Selector): boolean {
  return Boolean(s.operation_type || s.operation_name || s.fields !== undefined);
}

function validateJsonRpcSelector(s: L7Selector, loc: string, report: L7Reporter): void {
  const method = s.method ?? '';
  if (method === '') report.error(loc, 'method: required for json-rpc L7 rules');
  else if (method !== '*' && GLOB_SYNTAX.test(method)) {
    report.error(
      `${loc}.method`,
      'generic JSON-RPC method rules do not support glob or wildcard matchers; use "*" to allow all methods or an exact method name',
    );
  }
  if (s.params !== undefined) report.errorAtKey(`${loc}.params`, 'JSON-RPC rules do not support params matchers yet');
  if ((s.path ?? '') !== '' || Object.keys(s.query ?? {}).length > 0) {
    report.error(loc, 'json-rpc L7 rules must use method, not path/query');
  }
}

function validateGraphqlSelector(s: L7Selector, loc: string, report: L7Reporter): void {
  const type = s.operation_type ?? '';
  if (type === '') report.error(loc, 'operation_type: required for GraphQL L7 rules (query, mutation, subscription or *)');
  else if (!GRAPHQL_TYPES.includes(type.toLowerCase())) {
    report.error(`${loc}.operation_type`, `expected query, mutation, subscription, or *, got '${type}'`);
  }
  if (s.fields !== undefined) {
    if (s.fields.length === 0) report.error(`${loc}.fields`, 'list must not be empty; omit fields to match all root fields');
    s.fields.forEach((f, i) => f === '' && report.error(`${loc}.fields[${i}]`, 'field glob must not be empty'));
  }
}

function isMatcherShapeValid(m: unknown): boolean {
  if (typeof m === 'string') return m !== '';
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
  const keys = Object.keys(m);
  const any = (m as { any?: unknown }).any;
  return (
    keys.length === 1 && keys[0] === 'any' && Array.isArray(any) && any.length > 0 && any.every((v) => typeof v === 'string' && v !== '')
  );
}

function matcherHasWildcard(m: QueryMatcher): boolean {
  if (typeof m === 'string') return GLOB_SYNTAX.test(m);
  return (m.any ?? []).some((p) => GLOB_SYNTAX.test(p)) || (m.glob !== undefined && GLOB_SYNTAX.test(m.glob));
}

function toolSelector(s: L7Selector): QueryMatcher | undefined {
  return s.tool ?? ((s.params as Record<string, unknown> | undefined)?.name as QueryMatcher | undefined);
}

function validateMcpEndpoint(ep: NetworkEndpoint, mcp: Mcp | undefined, loc: string, report: L7Reporter): void {
  if ((ep.host ?? '').trim() === '') report.error(loc, 'protocol mcp requires host; protocol alone is not a wildcard endpoint');
  if (mcp?.versions !== undefined) {
    const versions = mcp.versions;
    if (versions.length === 0) report.error(`${loc}.mcp.versions`, 'empty mcp.versions list; omit it to use the pinned default revision');
    const seen = new Set<string>();
    versions.forEach((v, i) => {
      const text = String(v);
      if (!isMcpVersion(text)) {
        report.error(
          `${loc}.mcp.versions[${i}]`,
          `unsupported MCP protocol version '${text}' (supported: ${MCP_VERSIONS.join(', ')}); ${MCP_VERSION_REMEDIATION}`,
        );
      } else if (seen.has(text)) report.error(`${loc}.mcp.versions[${i}]`, `duplicate protocol version '${text}'`);
      seen.add(text);
    });
  }
  const strict = mcp?.strict_tool_names !== false;
  const allowAll = mcp?.allow_all_known_mcp_methods === true;
  const rules = ep.rules ?? [];
  const toolAllow = rules.some((r) => r.allow && toolSelector(r.allow) !== undefined);
  const matchesToolsCall = (method: string) => method === 'tools/call' || method === '*' || compileGlob(method, [])('tools/call');
  const check = (s: L7Selector, where: string, deny: boolean) => {
    const method = s.method ?? '';
    const params = (s.params ?? {}) as Record<string, unknown>;
    const tool = toolSelector(s);
    if (method === '' && !allowAll) report.error(where, 'method: required when mcp.allow_all_known_mcp_methods is false');
    if (method !== '' && GLOB_SYNTAX.test(method) && !method.startsWith('tools/')) {
      report.error(
        `${where}.method`,
        'MCP method globs are only valid for the tools/ method family; omit method to use the endpoint method profile',
      );
    }
    if (tool !== undefined && method !== '' && method !== 'tools/call') {
      report.error(`${where}.method`, `must be tools/call when an MCP rule uses tool or params.name, got '${method}'`);
    }
    if (s.tool !== undefined && params.name !== undefined) report.error(where, 'MCP rules must use either tool or params.name, not both');
    for (const key of Object.keys(params)) {
      if (key !== 'name') report.errorAtKey(`${where}.params.${key}`, 'MCP tool argument matching is not supported yet');
    }
    if (tool !== undefined) {
      const at = s.tool !== undefined ? `${where}.tool` : `${where}.params.name`;
      if (!isMatcherShapeValid(tool)) report.error(at, 'expected a non-empty glob string or {any: [globs]}');
      else if (!strict && matcherHasWildcard(tool))
        report.error(at, 'wildcard tool-name matchers require mcp.strict_tool_names to remain enabled');
    }
    if ((s.path ?? '') !== '' || Object.keys(s.query ?? {}).length > 0)
      report.error(where, 'mcp L7 rules must use method/tool, not path/query');
    // A broad tools/call rule next to tool-specific allow rules would bypass (allow) or erase (deny) the tool filter.
    if (toolAllow && tool === undefined && (matchesToolsCall(method) || (!deny && method === '' && allowAll))) {
      report.error(
        where,
        `method matcher ${deny ? 'denies' : 'allows'} every tool call and conflicts with MCP tool allow rules; add tool or params.name to narrow tools/call, or remove the tool allow rules`,
      );
    }
  };
  rules.forEach((r, i) => r.allow && check(r.allow, `${loc}.rules[${i}].allow`, false));
  (ep.deny_rules ?? []).forEach((d, i) => check(d, `${loc}.deny_rules[${i}]`, true));
}
