// The OpenShell sandbox policy schema and NemoClaw's preset schema, field for field as upstream's
// serde definitions (crates/openshell-policy/src/lib.rs) accept them: unknown keys are errors at every level.
import { any, bool, either, int, list, mapOf, obj, str, type Schema } from './schema-dsl.js';

const queryMatcher = either(
  'query matcher (a glob string, or {any: [globs]})',
  str('glob string'),
  obj('query matcher', { any: list(str('glob string'), 'list of globs') }, ['any']),
);

const paramMatcher: Schema = either('params matcher', queryMatcher, mapOf(any('nested params matcher'), 'params map'));

const l7Selector = (what: string) =>
  obj(what, {
    method: str('HTTP method'),
    path: str('path glob'),
    command: str('SQL command'),
    query: mapOf(queryMatcher, 'query matchers by parameter name'),
    operation_type: str('GraphQL operation type'),
    operation_name: str('GraphQL operation name glob'),
    fields: list(str('GraphQL field glob'), 'list of field globs'),
    tool: queryMatcher,
    params: mapOf(paramMatcher, 'params matchers'),
  });

const graphqlOperation = obj('GraphQL persisted operation', {
  operation_type: str('operation type'),
  operation_name: str('operation name'),
  fields: list(str('field'), 'list of fields'),
});

export const PORT = int('port', 1, 65535);

export const endpointSchema = obj('endpoint', {
  host: str('host name or pattern'),
  path: str('endpoint path glob'),
  port: PORT,
  ports: list(PORT, 'list of ports'),
  protocol: str('protocol'),
  tls: str('tls mode'),
  enforcement: str('enforcement mode'),
  access: str('access preset'),
  rules: list(obj('L7 rule', { allow: l7Selector('allow selector') }, ['allow']), 'list of L7 rules'),
  allowed_ips: list(str('IP address or CIDR'), 'list of IPs/CIDRs'),
  deny_rules: list(l7Selector('deny rule'), 'list of deny rules'),
  allow_encoded_slash: bool('allow_encoded_slash'),
  websocket_credential_rewrite: bool('websocket_credential_rewrite'),
  request_body_credential_rewrite: bool('request_body_credential_rewrite'),
  allow_uninspected_credentials: bool('allow_uninspected_credentials'),
  persisted_queries: str('persisted query mode'),
  graphql_persisted_queries: mapOf(graphqlOperation, 'persisted queries by hash or id'),
  graphql_max_body_bytes: int('graphql_max_body_bytes', 0, 4294967295),
  credential_signing: str('credential signing scheme'),
  signing_service: str('signing service'),
  signing_region: str('signing region'),
  credential_binding: obj('credential binding', { provider: str('provider name') }),
  json_rpc: obj('json_rpc options', { max_body_bytes: int('max_body_bytes', 0, 4294967295) }),
  mcp: obj('mcp options', {
    versions: list(str('MCP protocol revision'), 'list of MCP protocol revisions'),
    max_body_bytes: int('max_body_bytes', 0, 4294967295),
    strict_tool_names: bool('strict_tool_names'),
    allow_all_known_mcp_methods: bool('allow_all_known_mcp_methods'),
  }),
});

export const networkRuleSchema = obj('network policy rule', {
  name: str('rule name'),
  endpoints: list(endpointSchema, 'list of endpoints'),
  binaries: list(obj('binary', { path: str('binary path'), harness: bool('harness (deprecated)') }, ['path']), 'list of binaries'),
});

const networkPolicies = mapOf(networkRuleSchema, 'network policies by key');

export const sandboxPolicySchema = obj(
  'sandbox policy',
  {
    version: int('policy version', 0, 4294967295),
    filesystem_policy: obj('filesystem policy', {
      include_workdir: bool('include_workdir'),
      read_only: list(str('path'), 'list of paths'),
      read_write: list(str('path'), 'list of paths'),
    }),
    landlock: obj('landlock policy', { compatibility: str('landlock compatibility') }),
    process: obj('process policy', { run_as_user: str('user'), run_as_group: str('group') }),
    network_policies: networkPolicies,
    network_middlewares: mapOf(any('middleware config'), 'network middlewares by key'),
  },
  ['version'],
);

export const presetSchema = obj(
  'preset file',
  {
    preset: obj('preset metadata', { name: str('preset name'), description: str('preset description') }, ['name']),
    network_policies: networkPolicies,
  },
  ['preset', 'network_policies'],
);
