// Promote: turn one approved request into a reusable preset, scoped to exactly that host and port and,
// unless the operator widens it, to the binary that made the request. The L7 access defaults to the
// narrowest preset that still admits the request: read-only for reads (and when the method is unknown,
// e.g. a tunnel that was never inspected), read-write otherwise.
//
// A tunnel (CONNECT, never inspected) becomes an inspected endpoint by default: an L7 endpoint is what
// lets the access be enforced at all (an uninspected tunnel admits any method), at the price that the
// client must trust the core's CA. `inspect: false` keeps it a blind tunnel (L4: everything inside is
// allowed), and says so in the description.
import { isIP } from 'node:net';
import { operationRule } from '../approvals/session-approvals.js';
import { describeOperation, type L7Operation } from '../inbox/pending-request.js';
import { MCP_VERSIONS } from '../policy/l7/mcp-revisions.js';
import { parsePolicyText } from '../policy/source.js';
import { isValidPresetName } from '../policy/preset-name.js';
import type { AccessPreset, NetworkEndpoint, PresetDocument } from '../policy/types.js';
import { PresetError } from './preset-error.js';
import { presetYaml } from './preset-yaml.js';

export { presetYaml };

export interface PromoteInput {
  host: string;
  port: number;
  binary: string;
  method?: string;
  name: string;
  description?: string;
  access?: AccessPreset;
  anyBinary?: boolean;
  /** The request was only ever a CONNECT tunnel (no method or path was seen). */
  tunnel?: boolean;
  /** For a tunnel: terminate TLS and enforce the access (default), or keep it a blind L4 tunnel. */
  inspect?: boolean;
  /**
   * The request was one L7 operation (an MCP tool, a JSON-RPC method, a GraphQL operation): the preset
   * allows exactly it, on an endpoint of that protocol at `operationPath`, instead of an access preset.
   */
  operation?: L7Operation;
  operationPath?: string;
}

/** Any real executable. Absolute paths only, so a request whose binary could not be identified ('unknown') never matches. */
export const ANY_BINARY = '/**';
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;
/** Methods the read-only access preset admits. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The narrowest access preset that admits a request made with `method` (none known, e.g. a tunnel: read-only). */
export function defaultAccess(method: string | undefined): AccessPreset {
  const m = method?.trim().toUpperCase();
  return m === undefined || m === '' || READ_METHODS.has(m) ? 'read-only' : 'read-write';
}

/** A NemoClaw preset for this host:port, pinned to the binary unless anyBinary; checked with the policy loader. */
export function presetFromRequest(input: PromoteInput): PresetDocument {
  const name = input.name.trim();
  if (!isValidPresetName(name)) {
    throw new PresetError(
      'invalid',
      `invalid preset name '${input.name}': use a lowercase RFC 1123 label (letters, digits and '-', 1–63 characters, starting and ending with a letter or digit)`,
    );
  }
  const host = input.host.trim().toLowerCase();
  // The loader checks DNS syntax for tcp endpoints only; a promoted host is one real destination, so check it here.
  if (!isIP(host) && !DNS_NAME.test(host)) {
    throw new PresetError('invalid', `cannot promote host '${input.host}': a promoted preset names one exact DNS name or IP address`);
  }
  if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535) {
    throw new PresetError('invalid', `cannot promote port ${input.port}: expected 1–65535`);
  }
  if (!input.anyBinary && !input.binary.startsWith('/')) {
    throw new PresetError(
      'invalid',
      `cannot pin the preset to binary '${input.binary}': not an executable path (choose "any binary" to allow every executable)`,
    );
  }
  const method = input.method?.trim().toUpperCase();
  if (input.operation) return operationPreset(input, name, host);
  if (input.inspect === false && !input.tunnel) {
    throw new PresetError(
      'invalid',
      `${host}:${input.port} was seen as HTTP requests (${method ?? 'no method'}), not as an uninspected tunnel; only a tunnel can be left uninspected`,
    );
  }
  const blind = input.tunnel === true && input.inspect === false;
  if (blind && input.access !== undefined) {
    throw new PresetError(
      'invalid',
      `access '${input.access}' needs an inspected endpoint; a tunnel that is not inspected allows everything inside it`,
    );
  }
  const access: AccessPreset = input.access ?? defaultAccess(method);
  const key = name.replace(/-/g, '_');
  const endpoint: NetworkEndpoint = blind
    ? { host, port: input.port }
    : { host, port: input.port, protocol: 'rest', enforcement: 'enforce', access };
  const binary = input.anyBinary ? ANY_BINARY : input.binary;
  const who = input.anyBinary ? 'any binary' : binary;
  const description =
    input.description?.trim() ||
    (blind ? `uninspected tunnel to ${host}:${input.port} for ${who}` : `${access} access to ${host}:${input.port} for ${who}`);
  const doc: PresetDocument = {
    preset: { name, description },
    network_policies: { [key]: { name: key, endpoints: [endpoint], binaries: [{ path: binary }] } },
  };
  // The loader is the authority on what upstream accepts (host syntax, ports, allowed names).
  const loaded = parsePolicyText(presetYaml(doc), `${name}.yaml`, 'preset');
  if (loaded.errors.length > 0) throw PresetError.fromProblems(loaded.errors);
  return doc;
}

/** A preset allowing exactly one L7 operation on host:port (the protocol's own rule shape, enforced). */
function operationPreset(input: PromoteInput, name: string, host: string): PresetDocument {
  // An access preset (read-only, read-write) means nothing to these protocols: the rule names the operation.
  const op = input.operation!;
  const endpoint: NetworkEndpoint = { host, port: input.port };
  if (input.operationPath && input.operationPath !== '/') endpoint.path = input.operationPath;
  endpoint.protocol = op.kind;
  endpoint.enforcement = 'enforce';
  // The entry does not keep which MCP revision the client spoke: the preset accepts each, for this one operation.
  if (op.kind === 'mcp') endpoint.mcp = { versions: [...MCP_VERSIONS] };
  endpoint.rules = [operationRule(op)];
  const binary = input.anyBinary ? ANY_BINARY : input.binary;
  const key = name.replace(/-/g, '_');
  const doc: PresetDocument = {
    preset: {
      name,
      description:
        input.description?.trim() || `${describeOperation(op)} on ${host}:${input.port} for ${input.anyBinary ? 'any binary' : binary}`,
    },
    network_policies: { [key]: { name: key, endpoints: [endpoint], binaries: [{ path: binary }] } },
  };
  const loaded = parsePolicyText(presetYaml(doc), `${name}.yaml`, 'preset');
  if (loaded.errors.length > 0) throw PresetError.fromProblems(loaded.errors);
  return doc;
}
