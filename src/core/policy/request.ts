// Turning untrusted JSON into a DecisionRequest: every field type-checked, with a reason when it is wrong.
import type { DecisionRequest } from './types.js';

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
  if (o.resolved_ips !== undefined && o.resolved_ips !== null) {
    if (!Array.isArray(o.resolved_ips) || !o.resolved_ips.every((v) => typeof v === 'string')) {
      return bad("'resolved_ips' must be a list of IP address strings");
    }
    request.resolved_ips = o.resolved_ips;
  }
  return { ok: true, request };
}
