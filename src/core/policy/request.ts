// Turning untrusted JSON into a DecisionRequest: every field type-checked, with a reason when it is wrong.
import type { DecisionRequest } from './types.js';

const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Fields the request line itself implies: the request goes to host:port and its body frames itself. */
const IMPLIED = new Set(['host', 'content-length', 'transfer-encoding']);
export const MAX_HEADER_FIELDS = 256;

function parseHeaders(input: unknown): Record<string, string | string[]> | string {
  if (typeof input !== 'object' || Array.isArray(input)) return "'headers' must be an object of field name → string or [strings]";
  const out: Record<string, string | string[]> = Object.create(null);
  const entries = Object.entries(input as Record<string, unknown>);
  if (entries.length > MAX_HEADER_FIELDS) return `'headers' has more than ${MAX_HEADER_FIELDS} fields`;
  for (const [name, value] of entries) {
    if (!FIELD_NAME.test(name)) return `'headers': ${JSON.stringify(name)} is not a valid field name`;
    if (IMPLIED.has(name.toLowerCase())) {
      return `'headers' must not carry ${name}: the request goes to host:port and Content-Length is implied by the body`;
    }
    const ok = (v: unknown) => typeof v === 'string' && !/[\r\n\0]/.test(v);
    if (Array.isArray(value) ? !value.every(ok) : !ok(value)) {
      return `'headers.${name}' must be a string or a list of strings without CR, LF or NUL`;
    }
    out[name] = Array.isArray(value) ? [...(value as string[])] : (value as string);
  }
  return out;
}

export type ParsedRequest = { ok: true; request: DecisionRequest } | { ok: false; reason: string };

const bad = (reason: string): ParsedRequest => ({ ok: false, reason });

export function parseDecisionRequest(input: unknown): ParsedRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return bad('expected a JSON object');
  const o = input as Record<string, unknown>;
  if (typeof o.host !== 'string' || o.host === '') return bad("'host' must be a non-empty string");
  if (o.host.length > 253) return bad("'host' is longer than 253 characters");
  if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 1 || o.port > 65535) {
    return bad("'port' must be an integer from 1 to 65535");
  }
  if (typeof o.binary !== 'string' || o.binary === '') return bad("'binary' must be a non-empty string (the executable path)");
  const request: DecisionRequest = { host: o.host, port: o.port, binary: o.binary };
  if (o.method !== undefined && o.method !== null) {
    if (typeof o.method !== 'string' || o.method === '') return bad("'method' must be a non-empty string");
    request.method = o.method;
  }
  if (o.path !== undefined && o.path !== null) {
    if (typeof o.path !== 'string') return bad("'path' must be a string");
    request.path = o.path;
  }
  if (o.query !== undefined && o.query !== null) {
    if (typeof o.query !== 'object' || Array.isArray(o.query)) return bad("'query' must be an object of name → [values]");
    const query: Record<string, string[]> = {};
    for (const [name, values] of Object.entries(o.query as Record<string, unknown>)) {
      const list = typeof values === 'string' ? [values] : values;
      if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) {
        return bad(`'query.${name}' must be a list of strings`);
      }
      query[name] = list;
    }
    request.query = query;
  }
  if (o.headers !== undefined && o.headers !== null) {
    const headers = parseHeaders(o.headers);
    if (typeof headers === 'string') return bad(headers);
    request.headers = headers;
  }
  if (o.body !== undefined && o.body !== null) {
    if (typeof o.body !== 'string') return bad("'body' must be a string (the exact request body)");
    request.body = o.body;
  }
  if (o.resolved_ips !== undefined && o.resolved_ips !== null) {
    if (!Array.isArray(o.resolved_ips) || !o.resolved_ips.every((v) => typeof v === 'string')) {
      return bad("'resolved_ips' must be a list of IP address strings");
    }
    request.resolved_ips = o.resolved_ips;
  }
  return { ok: true, request };
}
