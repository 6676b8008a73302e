// Rules a policy must satisfy beyond its shape, as upstream validates them (openshell-policy and the
// supervisor's validate_l7_policies). Each problem points at the offending node.
import { ACCESS_PRESETS } from './access.js';
import { hostPatternError } from './host-pattern.js';
import { overlapsAlwaysBlocked, parseCidr } from './ip.js';
import { isValidPresetName } from './preset-name.js';
import type { PolicyDocument } from './source.js';
import type { L7Selector, NetworkEndpoint, NetworkPolicyRule } from './types.js';
import type { PositionIndex } from './yaml-walk.js';

export interface SemanticProblem {
  line: number;
  col: number;
  message: string;
  severity: 'error' | 'warning';
}

export const PROTOCOLS = ['rest', 'tcp', 'sql', 'graphql', 'websocket', 'json-rpc', 'mcp'] as const;
const TLS_MODES = ['skip', 'terminate', 'passthrough'];
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE', 'WEBSOCKET_TEXT', '*'];
/** CIDRs broader than this may expose control-plane services on the same network. */
const MIN_SAFE_PREFIX = 16;

export function validateSemantics(document: PolicyDocument, positions: PositionIndex): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const at = (path: string) => positions.get(path) ?? nearest(positions, path);
  const error = (path: string, message: string) => problems.push({ ...at(path), message: `${path}: ${message}`, severity: 'error' });
  const warn = (path: string, message: string) => problems.push({ ...at(path), message: `${path}: ${message}`, severity: 'warning' });

  let policies: Record<string, NetworkPolicyRule>;
  if (document.kind === 'policy') {
    const { policy } = document;
    if (policy.version !== 1) error('version', `unsupported policy version ${policy.version}; expected 1`);
    policies = policy.network_policies;
  } else {
    const { preset } = document;
    if (preset.preset.name !== '' && !isValidPresetName(preset.preset.name)) {
      error('preset.name', `invalid preset name '${preset.preset.name}': use 1–63 lowercase letters, digits and '-', starting and ending with a letter or digit (RFC 1123 label)`);
    }
    policies = preset.network_policies;
  }

  for (const [key, rule] of Object.entries(policies)) {
    const base = `network_policies.${key}`;
    rule.endpoints.forEach((endpoint, i) => validateEndpoint(endpoint, `${base}.endpoints[${i}]`, document.kind === 'preset', error, warn));
    rule.binaries.forEach((binary, i) => {
      if (binary.path === '') error(`${base}.binaries[${i}].path`, 'binary path must not be empty');
      else if (!binary.path.startsWith('/') && !binary.path.startsWith('*')) {
        error(`${base}.binaries[${i}].path`, `binary path '${binary.path}' must be absolute (the kernel-resolved executable, e.g. /usr/bin/curl)`);
      }
    });
  }
  return problems;
}

type Report = (path: string, message: string) => void;

function validateEndpoint(ep: NetworkEndpoint, loc: string, inPreset: boolean, error: Report, warn: Report) {
  const host = ep.host ?? '';
  const hostError = hostPatternError(host);
  if (hostError) error(`${loc}.host`, hostError);

  if (ep.port !== undefined && ep.ports !== undefined && ep.ports.length > 0) {
    error(`${loc}.port`, 'port and ports are mutually exclusive; use ports for multiple ports');
  }
  if (ep.port === undefined && (ep.ports === undefined || ep.ports.length === 0)) {
    error(loc, `endpoint ${host ? `'${host}' ` : ''}has no port; add port: 443 (or ports: [..])`);
  }
  const allowedIps = ep.allowed_ips ?? [];
  if (host === '' && allowedIps.length === 0) error(loc, 'endpoint needs a host (or, for a hostless endpoint, allowed_ips)');
  if (inPreset && ep.allowed_ips !== undefined) error(`${loc}.allowed_ips`, 'allowed_ips is not allowed in presets; put private-network access in the sandbox policy itself');
  allowedIps.forEach((entry, i) => {
    const cidr = parseCidr(entry);
    if (!cidr) error(`${loc}.allowed_ips[${i}]`, `invalid CIDR/IP in allowed_ips: ${entry}`);
    else if (overlapsAlwaysBlocked(cidr)) {
      error(`${loc}.allowed_ips[${i}]`, `allowed_ips entry ${entry} falls within an always-blocked range (loopback/link-local/unspecified); remove it — these destinations are refused regardless of policy`);
    } else if (cidr.prefix < MIN_SAFE_PREFIX) {
      warn(`${loc}.allowed_ips[${i}]`, `very broad CIDR ${entry} (/${cidr.prefix} < /${MIN_SAFE_PREFIX}) may expose control-plane services on the same network`);
    }
  });

  const protocol = ep.protocol ?? '';
  if (protocol !== '' && !(PROTOCOLS as readonly string[]).includes(protocol)) {
    error(`${loc}.protocol`, `unknown protocol '${protocol}'; expected one of: ${PROTOCOLS.join(', ')}`);
  }
  const tls = ep.tls ?? '';
  if (tls !== '' && !TLS_MODES.includes(tls)) error(`${loc}.tls`, `unknown tls mode '${tls}'; expected 'skip' (or the deprecated 'terminate'/'passthrough')`);
  if (tls === 'terminate' || tls === 'passthrough') {
    warn(`${loc}.tls`, `'tls: ${tls}' is deprecated; TLS termination is now automatic. Use 'tls: skip' to disable.`);
  }
  const hasRules = ep.rules !== undefined && ep.rules.length > 0;
  if (ep.rules !== undefined && ep.rules.length === 0) {
    error(`${loc}.rules`, 'rules list cannot be empty (would deny all traffic). Use `access: full` or remove rules.');
  }
  if (ep.deny_rules !== undefined && ep.deny_rules.length === 0) {
    error(`${loc}.deny_rules`, 'deny_rules list cannot be empty (would have no effect). Remove it if no denials are needed.');
  }
  const access = ep.access ?? '';
  if (access !== '' && hasRules) error(`${loc}.access`, 'access and rules are mutually exclusive; use one or the other');
  if (access !== '' && !(ACCESS_PRESETS as readonly string[]).includes(access)) {
    warn(`${loc}.access`, `unsupported L7 access preset '${access}' ignored; expected one of: ${ACCESS_PRESETS.join(', ')}`);
  }
  // Upstream accepts this, but only an endpoint with an L7 protocol is inspected: the rules do nothing.
  if ((hasRules || access !== '' || ep.deny_rules) && (protocol === '' || protocol === 'tcp')) {
    warn(loc, `${access ? `access: ${access} has` : 'L7 rules have'} no effect without an L7 protocol; all traffic to this endpoint is allowed at L4. Add protocol: rest to enforce them`);
  }
  if (protocol === 'sql' && ep.enforcement === 'enforce') {
    error(`${loc}.enforcement`, 'SQL enforcement requires full SQL parsing (not available in v1). Use `enforcement: audit`.');
  }
  if (tls === 'skip' && (hasRules || access !== '') && endpointCoversPort(ep, 443)) {
    warn(`${loc}.tls`, "'tls: skip' with L7 rules on port 443 — L7 inspection cannot work on encrypted traffic");
  }
  if (ep.path !== undefined && ep.path !== '' && !ep.path.startsWith('/') && ep.path !== '**') {
    error(`${loc}.path`, `endpoint path must start with '/' or be '**', got '${ep.path}'`);
  }
  if (protocol === 'rest' || protocol === 'websocket') {
    ep.rules?.forEach((rule, i) => validateRestSelector(rule.allow, `${loc}.rules[${i}].allow`, error, warn));
    ep.deny_rules?.forEach((rule, i) => validateRestSelector(rule, `${loc}.deny_rules[${i}]`, error, warn));
  }
}

function validateRestSelector(selector: L7Selector, loc: string, error: Report, warn: Report) {
  if (!selector.method) {
    error(loc, 'REST rules need a method (e.g. GET, POST, or * for any)');
  } else if (!HTTP_METHODS.includes(selector.method.toUpperCase())) {
    warn(`${loc}.method`, `Unknown HTTP/WebSocket method '${selector.method}'. Standard methods: ${HTTP_METHODS.join(', ')}.`);
  }
  if (selector.path !== undefined && selector.path !== '**' && !selector.path.startsWith('/')) {
    error(`${loc}.path`, `path pattern must start with '/' or be '**', got '${selector.path}'`);
  }
  for (const [name, matcher] of Object.entries(selector.query ?? {})) {
    if (typeof matcher === 'object' && (matcher.any ?? []).length === 0) error(`${loc}.query.${name}.any`, 'list must not be empty');
  }
}

function endpointCoversPort(ep: NetworkEndpoint, port: number): boolean {
  return ep.port === port || (ep.ports ?? []).includes(port);
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
