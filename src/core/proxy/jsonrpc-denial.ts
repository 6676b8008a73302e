// How a refusal reads to a JSON-RPC or MCP client: still HTTP 403 (as upstream answers every L7 denial),
// but the body is a JSON-RPC response a client library can read as an error for the call it made, with
// the call's id: one error object for a single call, an array with one error per call for a batch (every
// call of a refused batch is refused). Upstream answers its REST-shaped `policy_denied` object here; that
// object is kept whole under `error.data`, so tools that read it still find every field.
import { parseStrictJson, type JsonValue } from '../policy/strict-json.js';
import { denialBody, type DenialInfo } from './denial.js';

/** Implementation-defined server error (JSON-RPC 2.0 reserves -32000..-32099): refused by policy. */
export const POLICY_DENIED_CODE = -32001;
/** JSON-RPC's own code for a body that is not JSON. */
export const PARSE_ERROR_CODE = -32700;

type Id = string | number | null;

function idOf(value: JsonValue): Id {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const id = value.id;
    if (typeof id === 'string' || typeof id === 'number') return id;
  }
  return null;
}

/** The JSON-RPC error body answering a refused request whose body was `body` (undefined: none). */
export function jsonRpcDenialBody(info: DenialInfo, body: Uint8Array | undefined): string {
  const data = JSON.parse(denialBody(info)) as Record<string, unknown>;
  const message = `Forbidden by policy: ${info.reason}${info.requestId ? ` (request ${info.requestId})` : ''}`;
  const parsed = body && body.length > 0 ? parseStrictJson(Buffer.from(body).toString('utf8')) : undefined;
  const code = parsed?.ok ? POLICY_DENIED_CODE : PARSE_ERROR_CODE;
  const error = (id: Id) => ({ jsonrpc: '2.0', id, error: { code, message, data } });
  if (parsed?.ok && Array.isArray(parsed.value) && parsed.value.length > 0) {
    return `${JSON.stringify(parsed.value.map((call) => error(idOf(call))))}\n`;
  }
  return `${JSON.stringify(error(parsed?.ok ? idOf(parsed.value) : null))}\n`;
}
