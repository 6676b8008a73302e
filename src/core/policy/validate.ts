// Rules a policy must satisfy beyond its shape, as upstream validates them (openshell-policy's
// validate_sandbox_policy, the supervisor's validate_l7_policies / l7_validate). Each problem points at
// the node at fault: the value for a bad value, the key for a conflicting or forbidden key.
import { ACCESS_PRESETS } from './access.js';
import { findAmbiguities } from './ambiguity.js';
import { validateBodyProtocols } from './validate-l7.js';
import { hostPatternError } from './host-pattern.js';
import { allowedIpProblem, isIpLiteral, parseCidr } from './ip.js';
import { isValidPresetName } from './preset-name.js';
import type { L7Selector, PolicyDocument, NetworkEndpoint, NetworkPolicyRule, SandboxPolicy } from './types.js';
import type { PositionIndex } from './yaml-walk.js';

export interface SemanticProblem {
  line: number;
  col: number;
  message: string;
  severity: 'error' | 'warning';
}

export const PROTOCOLS = ['tcp', 'rest', 'websocket', 'graphql', 'sql', 'json-rpc', 'mcp'] as const;
const RULE_PROTOCOLS = ['rest', 'websocket', 'graphql', 'sql'];
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', '*'];
const WEBSOCKET_METHODS = ['GET', 'WEBSOCKET_TEXT', '*'];
const L7_ONLY_FIELDS = [
  'enforcement',
  'path',
  'allow_encoded_slash',
  'websocket_credential_rewrite',
  'request_body_credential_rewrite',
  'persisted_queries',
  'graphql_persisted_queries',
  'graphql_max_body_bytes',
  'json_rpc',
  'mcp',
  'credential_signing',
  'signing_service',
  'signing_region',
  'credential_binding',
];
const CREDENTIAL_SIGNING = ['sigv4', 'sigv4:body', 'sigv4:no_body'];
const RESERVED_PREFIX = '_provider_';
/** The host alias a NemoClaw preset may pin with allowed_ips (the sandbox host bridge). */
const HOST_BRIDGE = 'host.openshell.internal';
/** CIDRs broader than this may expose control-plane services on the same network. */
const MIN_SAFE_PREFIX = 16;
const MAX_FS_PATHS = 256;
const MAX_PATH_LENGTH = 4096;

interface Reporter {
  /** True when the schema walk already rejected something at or below this path. */
  rejectedUnder(path: string): boolean;
  error(path: string, message: string): void;
  errorAtKey(path: string, message: string): void;
  warn(path: string, message: string): void;
}

export function validateSemantics(
  document: PolicyDocument,
  positions: PositionIndex,
  rejected: ReadonlySet<string> = new Set(),
): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const at = (path: string) => positions.get(path) ?? nearest(positions, path);
  const push = (severity: 'error' | 'warning', where: { line: number; col: number }, path: string, message: string) =>
    problems.push({ ...where, message: `${path}: ${message}`, severity });
  const report: Reporter = {
    rejectedUnder: (path) => [...rejected].some((r) => r === path || r.startsWith(`${path}.`) || r.startsWith(`${path}[`)),
    error: (path, message) => push('error', at(path), path, message),
    errorAtKey: (path, message) => push('error', positions.get(`${path}#key`) ?? at(path), path, message),
    warn: (path, message) => push('warning', at(path), path, message),
  };

  let policies: Record<string, NetworkPolicyRule>;
  const inPreset = document.kind === 'preset';
  if (document.kind === 'policy') {
    const { policy } = document;
    if (policy.version !== 1) report.error('version', `unsupported policy version ${policy.version}; expected 1`);
    validateSandboxSections(policy, report);
    policies = policy.network_policies;
  } else {
    const { preset } = document;
    const name = preset.preset.name;
    if (name.startsWith(RESERVED_PREFIX))
      report.error('preset.name', `Preset name cannot start with '${RESERVED_PREFIX}' (reserved by OpenShell)`);
    else if (name !== '' && !isValidPresetName(name)) {
      report.error(
        'preset.name',
        `invalid preset name '${name}': Preset must declare preset.name as a lowercase RFC 1123 label (letters, digits and '-', 1–63 characters, starting and ending with a letter or digit)`,
      );
    }
    if (!preset.preset.description) report.warn('preset', 'preset.description is missing; operators see it when choosing presets');
    if (Object.keys(preset.network_policies).length === 0 && positions.has('network_policies')) {
      report.error('network_policies', 'network_policies must be a non-empty mapping of policy objects');
    }
    policies = preset.network_policies;
  }

  for (const ambiguity of findAmbiguities(policies)) {
    report.error(`network_policies.${ambiguity.key}.endpoints[${ambiguity.index}]`, ambiguity.message);
  }
  for (const [key, rule] of Object.entries(policies)) {
    const base = `network_policies.${key}`;
    if (key.startsWith(RESERVED_PREFIX)) {
      report.errorAtKey(
        base,
        `network_policies key '${key}' uses reserved '${RESERVED_PREFIX}' prefix (provider policies are managed by OpenShell)`,
      );
    }
    if (rule.endpoints.length === 0) report.warn(base, `rule '${key}' has no endpoints; it allows nothing`);
    if (rule.binaries.length === 0) report.warn(base, `rule '${key}' has no binaries; it can never match (every request names its binary)`);
    rule.endpoints.forEach((endpoint, i) => validateEndpoint(endpoint, `${base}.endpoints[${i}]`, inPreset, report));
    rule.binaries.forEach((binary, i) => {
      const where = `${base}.binaries[${i}]`;
      if (binary.path === '') report.error(`${where}.path`, 'binary path must not be empty');
      else if (!binary.path.startsWith('/') && !binary.path.startsWith('*')) {
        report.warn(`${where}.path`, `binary path '${binary.path}' is not absolute; it never equals a kernel-resolved executable path`);
      }
      if (binary.harness !== undefined) {
        report.warn(`${where}.harness`, 'harness is deprecated and ignored; remove it (a binary is matched by its path alone)');
      }
    });
  }
  return problems;
}

function validateSandboxSections(policy: SandboxPolicy, report: Reporter) {
  const fs = policy.filesystem_policy;
  if (fs) {
    const total = (fs.read_only?.length ?? 0) + (fs.read_write?.length ?? 0);
    if (total > MAX_FS_PATHS) report.error('filesystem_policy', `too many filesystem paths (${total} > ${MAX_FS_PATHS})`);
    for (const list of ['read_only', 'read_write'] as const) {
      fs[list]?.forEach((path, i) => {
        const where = `filesystem_policy.${list}[${i}]`;
        if (!path.startsWith('/')) report.error(where, `path must be absolute (start with '/'): ${path}`);
        else if (path.split('/').includes('..')) report.error(where, `path contains '..' traversal component: ${path}`);
        else if (list === 'read_write' && /^\/+$/.test(path)) report.error(where, `read-write path is overly broad: ${path}`);
        else if (path.length > MAX_PATH_LENGTH) report.error(where, 'path exceeds maximum length');
      });
    }
  }
  const compatibility = policy.landlock?.compatibility ?? '';
  if (compatibility !== '' && compatibility !== 'best_effort' && compatibility !== 'hard_requirement') {
    report.warn('landlock.compatibility', `unknown landlock compatibility '${compatibility}'; treated as best_effort`);
  }
  for (const field of ['run_as_user', 'run_as_group'] as const) {
    const value = policy.process?.[field] ?? '';
    if (value !== '' && !isSandboxIdentity(value)) {
      report.error(`process.${field}`, `${field} must be 'sandbox' or a numeric UID/GID in range [1, 4294967294], got '${value}'`);
    }
  }
}

function isSandboxIdentity(value: string): boolean {
  if (value === 'sandbox') return true;
  if (!/^\d+$/.test(value)) return false;
  const n = Number(value);
  return n >= 1 && n <= 4294967294;
}

function validateEndpoint(ep: NetworkEndpoint, loc: string, inPreset: boolean, report: Reporter) {
  const host = ep.host ?? '';
  const protocol = (ep.protocol ?? '').toLowerCase();
  const isTcp = protocol === 'tcp';
  const allowedIps = ep.allowed_ips ?? [];
  const hostError = hostPatternError(host) ?? hostShapeError(host);
  if (hostError) report.error(`${loc}.host`, hostError);

  // A field the schema walk rejected is already reported; do not report it again as missing.
  const alreadyReported = report.rejectedUnder(loc);
  if (isTcp) validateTcpEndpoint(ep, host, loc, report);
  else if (host.trim() === '' && allowedIps.length === 0 && !alreadyReported) {
    report.error(
      ep.host !== undefined ? `${loc}.host` : loc,
      'endpoint host must not be empty unless allowed_ips constrains a non-TCP proxy endpoint',
    );
  }

  if (!alreadyReported) validatePorts(ep, host, loc, report);

  if (allowedIps.length > 0 && inPreset && host.toLowerCase() !== HOST_BRIDGE) {
    report.errorAtKey(
      `${loc}.allowed_ips`,
      "contains 'allowed_ips', which is not permitted in user-supplied presets; private-network access belongs in the sandbox policy",
    );
  }
  if (inPreset && ['0.0.0.0', '::', '[::]', '::/0', '0.0.0.0/0'].includes(host)) {
    report.error(`${loc}.host`, `host "${host}" is not allowed in a preset (it would match every destination)`);
  }
  // Upstream's supervisor loads unusable entries and then refuses every request through the endpoint, so
  // they are warnings here (the gateway's merge path rejects them): the policy fails closed either way.
  allowedIps.forEach((entry, i) => {
    const problem = allowedIpProblem(entry);
    const cidr = parseCidr(entry);
    if (problem)
      report.warn(`${loc}.allowed_ips[${i}]`, `${problem}; every request through this endpoint will be denied — remove or fix it`);
    else if (cidr && cidr.prefix < MIN_SAFE_PREFIX) {
      report.warn(
        `${loc}.allowed_ips[${i}]`,
        `very broad CIDR ${entry} (/${cidr.prefix} < /${MIN_SAFE_PREFIX}) may expose control-plane services on the same network`,
      );
    }
  });

  if (protocol !== '' && !(PROTOCOLS as readonly string[]).includes(protocol)) {
    report.error(`${loc}.protocol`, `unknown protocol '${ep.protocol}' (expected tcp, rest, websocket, graphql, sql, json-rpc, or mcp)`);
  } else if (ep.protocol && ep.protocol !== protocol) {
    report.warn(`${loc}.protocol`, `protocol '${ep.protocol}' should be lower-case; parts of upstream compare it exactly`);
  }
  const tls = ep.tls ?? '';
  if (tls === 'terminate' || tls === 'passthrough') {
    report.warn(
      `${loc}.tls`,
      `'tls: ${tls}' is deprecated; TLS termination is now automatic. Remove the tls field (or write 'tls: skip' to disable inspection).`,
    );
  } else if (tls !== '' && tls !== 'skip') report.warn(`${loc}.tls`, `unknown tls value '${tls}'; treated as auto`);
  const enforcement = ep.enforcement ?? '';
  if (enforcement !== '' && enforcement !== 'enforce' && enforcement !== 'audit') {
    // Upstream enforces only the exact spelling "enforce" and audits anything else; we never weaken what
    // was written: every other value but "audit" (any case) is enforced, and said so.
    const lower = enforcement.toLowerCase();
    report.warn(
      `${loc}.enforcement`,
      lower === 'audit'
        ? `enforcement '${enforcement}' is read as 'audit'; write it in lower case`
        : lower === 'enforce'
          ? `enforcement '${enforcement}' is enforced here; write 'enforce' in lower case (upstream would run '${enforcement}' in audit mode)`
          : `unknown enforcement value '${enforcement}'; enforced here (upstream would treat it as audit and let through what the rules deny). Write 'enforce' or 'audit'`,
    );
  }
  if (ep.path !== undefined && ep.path !== '' && !ep.path.startsWith('/') && ep.path !== '**') {
    report.error(`${loc}.path`, `endpoint path must start with '/' or be '**', got '${ep.path}'`);
  }
  if (!isTcp) validateL7(ep, protocol, loc, report);
  if (!isTcp) validateBodyProtocols(ep, protocol, loc, report);
  validateCredentialSigning(ep, loc, report);
}

function validatePorts(ep: NetworkEndpoint, host: string, loc: string, report: Reporter) {
  const ports = ep.ports ?? [];
  if (ep.port !== undefined && ep.port > 0 && ports.length > 0) {
    report.errorAtKey(`${loc}.port`, 'port and ports are mutually exclusive; use ports for multiple ports');
  }
  if ((ep.port === undefined || ep.port === 0) && ports.length === 0) {
    const where = ep.ports !== undefined ? `${loc}.ports` : ep.port !== undefined ? `${loc}.port` : loc;
    report.error(where, `endpoint '${host}' must declare at least one port`);
  }
}

function validateTcpEndpoint(ep: NetworkEndpoint, host: string, loc: string, report: Reporter) {
  const l7Key = (['access', 'rules', 'deny_rules'] as const).find((k) => ep[k] !== undefined);
  if (l7Key) report.errorAtKey(`${loc}.${l7Key}`, 'protocol tcp does not support access, rules, or deny_rules; remove those L7 fields');
  const l7Only = L7_ONLY_FIELDS.filter((k) => ep[k] !== undefined);
  if (l7Only.length > 0)
    report.errorAtKey(`${loc}.${l7Only[0]}`, `protocol tcp does not support L7-only fields: ${l7Only.join(', ')}; remove those fields`);
  if (host.trim() === '') {
    report.error(
      ep.host !== undefined ? `${loc}.host` : loc,
      'protocol tcp requires a DNS hostname; hostless allowed_ips endpoints are supported only by the forward proxy',
    );
  } else if (isIpLiteral(host)) {
    report.error(`${loc}.host`, `protocol tcp endpoint host '${host}' must use a DNS hostname, not an IP literal`);
  } else if (host !== host.trim()) {
    report.error(
      `${loc}.host`,
      `protocol tcp endpoint has invalid DNS host selector '${host}': leading or trailing whitespace is not allowed`,
    );
  } else if (host.endsWith('.')) {
    report.error(`${loc}.host`, `protocol tcp endpoint has invalid DNS host selector '${host}': omit the trailing DNS root dot`);
  } else if (host.split('.').some((label) => label === '')) {
    report.error(`${loc}.host`, `protocol tcp endpoint has invalid DNS host selector '${host}': empty DNS label`);
  }
}

function validateL7(ep: NetworkEndpoint, protocol: string, loc: string, report: Reporter) {
  const access = ep.access ?? '';
  const rules = ep.rules;
  const hasRules = rules !== undefined && rules.length > 0;
  if (rules !== undefined && rules.length === 0) {
    report.error(`${loc}.rules`, 'rules list cannot be empty (would deny all traffic). Use `access: full` or remove rules.');
  }
  if (ep.deny_rules !== undefined && ep.deny_rules.length === 0) {
    report.error(`${loc}.deny_rules`, 'deny_rules list cannot be empty (would have no effect). Remove it if no denials are needed.');
  }
  if (access !== '' && hasRules) report.errorAtKey(`${loc}.access`, 'rules and access are mutually exclusive; use one or the other');
  if (access !== '' && !(ACCESS_PRESETS as readonly string[]).includes(access)) {
    report.warn(`${loc}.access`, `unsupported L7 access preset '${access}' ignored; expected one of: ${ACCESS_PRESETS.join(', ')}`);
  }
  if (protocol === '') {
    // Upstream accepts this, but only an endpoint with an L7 protocol is inspected: the rules do nothing.
    if (hasRules)
      report.warn(
        `${loc}.rules`,
        'rules are ignored without protocol; all traffic to this endpoint is allowed at L4. Add protocol: rest to enforce them',
      );
    if (access !== '')
      report.warn(
        `${loc}.access`,
        `access is ignored without protocol; all traffic to this endpoint is allowed at L4. Add protocol: rest to enforce access: ${access}`,
      );
    if (ep.deny_rules?.length) report.errorAtKey(`${loc}.deny_rules`, 'deny_rules require protocol (L7 inspection must be enabled)');
    return;
  }
  if ((protocol === 'json-rpc' || protocol === 'mcp') && access !== '') {
    report.errorAtKey(`${loc}.access`, `protocol ${protocol} does not support access presets; write explicit rules with allow.method`);
  }
  if (!hasRules && access === '') {
    if (protocol === 'json-rpc') report.error(`${loc}.protocol`, 'protocol json-rpc requires explicit rules with allow.method');
    else if (protocol === 'mcp' && !(ep.mcp as { allow_all_known_mcp_methods?: boolean } | undefined)?.allow_all_known_mcp_methods) {
      report.error(`${loc}.protocol`, 'protocol mcp requires rules when mcp.allow_all_known_mcp_methods is false');
    } else if (RULE_PROTOCOLS.includes(protocol))
      report.error(`${loc}.protocol`, 'protocol requires rules or access to define allowed traffic');
  }
  if (hasRules && rules.every((rule) => !rule.allow || isEmptySelector(rule.allow))) {
    report.errorAtKey(
      `${loc}.rules`,
      'rules would deny all traffic (no allow clause found). Use `access: full` or add allow clauses to rules.',
    );
  }
  if (ep.deny_rules?.length && protocol !== 'mcp' && !hasRules && access === '') {
    report.errorAtKey(`${loc}.deny_rules`, 'deny_rules require rules or access to define the base allow set');
  }
  if (protocol === 'sql' && ep.enforcement === 'enforce') {
    report.error(`${loc}.enforcement`, 'SQL enforcement requires full SQL parsing (not available in v1). Use `enforcement: audit`.');
  } else if (protocol === 'sql') {
    report.warn(
      `${loc}.protocol`,
      'protocol sql is audit-only (as upstream): connections are allowed at L4 and their SQL statements are not inspected or checked against rules',
    );
  }
  if (ep.tls === 'skip' && (hasRules || access !== '') && ((ep.ports ?? []).includes(443) || ep.port === 443)) {
    report.warn(`${loc}.tls`, "'tls: skip' with L7 rules on port 443 — L7 inspection cannot work on encrypted traffic");
  }
  if (ep.tls === 'skip' && protocol !== 'sql') {
    report.warn(
      `${loc}.tls`,
      `'tls: skip' with protocol ${protocol}: CONNECT tunnels to this endpoint are refused, because the requests inside could not be inspected (plain-HTTP requests are still decided one by one). Remove tls: skip to inspect them`,
    );
  }
  if (protocol === 'websocket') {
    const gql = (s?: L7Selector) => Boolean(s && (s.operation_type || s.operation_name || s.fields !== undefined));
    if ((rules ?? []).some((r) => gql(r.allow)) || (ep.deny_rules ?? []).some(gql) || ep.graphql_persisted_queries !== undefined) {
      report.warn(
        loc,
        'GraphQL-over-WebSocket operation rules are not enforced by this core (messages after the upgrade are not inspected): every upgrade to this endpoint is denied',
      );
    }
  }
  if (protocol === 'rest' || protocol === 'websocket') {
    const methods = protocol === 'rest' ? HTTP_METHODS : WEBSOCKET_METHODS;
    rules?.forEach(
      (rule, i) =>
        rule.allow && !isEmptySelector(rule.allow) && validateRestSelector(rule.allow, `${loc}.rules[${i}].allow`, methods, report),
    );
    ep.deny_rules?.forEach((rule, i) => validateRestSelector(rule, `${loc}.deny_rules[${i}]`, methods, report));
  }
}

function isEmptySelector(s: L7Selector): boolean {
  return (
    !s.method &&
    !s.path &&
    !s.command &&
    !s.operation_type &&
    !s.operation_name &&
    !s.fields?.length &&
    !s.params &&
    !(s as { tool?: unknown }).tool
  );
}

function validateRestSelector(selector: L7Selector, loc: string, methods: string[], report: Reporter) {
  if (selector.method && !methods.includes(selector.method.toUpperCase())) {
    report.warn(`${loc}.method`, `Unknown HTTP/WebSocket method '${selector.method}'. Standard methods: ${methods.join(', ')}.`);
  }
  if (selector.path !== undefined && selector.path !== '**' && !selector.path.startsWith('/')) {
    report.error(`${loc}.path`, `path pattern must start with '/' or be '**', got '${selector.path}'`);
  }
  for (const [name, matcher] of Object.entries(selector.query ?? {})) {
    if (typeof matcher === 'object' && (matcher.any ?? []).length === 0)
      report.error(`${loc}.query.${name}.any`, 'any: list must not be empty');
    if (matcher === '') report.error(`${loc}.query.${name}`, 'query matcher glob must not be empty');
  }
}

function validateCredentialSigning(ep: NetworkEndpoint, loc: string, report: Reporter) {
  const signing = ep.credential_signing as string | undefined;
  if (!signing) return;
  if (!CREDENTIAL_SIGNING.includes(signing)) {
    report.error(
      `${loc}.credential_signing`,
      `unrecognized credential_signing value '${signing}' (expected sigv4, sigv4:body, or sigv4:no_body)`,
    );
  } else if (!ep.signing_service) report.error(`${loc}.credential_signing`, 'credential_signing set but signing_service is empty');
  if (ep.request_body_credential_rewrite) {
    report.errorAtKey(`${loc}.credential_signing`, 'credential_signing and request_body_credential_rewrite are mutually exclusive');
  }
}

/** Hosts that can never name a real destination: inner whitespace, DNS labels over 63 characters. */
function hostShapeError(host: string): string | undefined {
  if (host === '' || isIpLiteral(host)) return undefined;
  if (/\s/.test(host.trim())) return `host '${host}' contains whitespace; a DNS name cannot`;
  const long = host.split('.').find((label) => label.length > 63);
  if (long) return `host '${host}' has a DNS label of ${long.length} characters (at most 63)`;
  if (host.length > 253) return `host '${host.slice(0, 40)}…' is longer than 253 characters`;
  return undefined;
}

/** Falls back to the closest recorded ancestor when a path has no node of its own (e.g. a missing field). */
function nearest(positions: PositionIndex, path: string): { line: number; col: number } {
  let p = path;
  while (p !== '') {
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut < 0 ? '' : p.slice(0, cut);
    const found = positions.get(p);
    if (found) return found;
  }
  return positions.get('') ?? { line: 1, col: 1 };
}
