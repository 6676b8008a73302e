// The served core's answers in each generation's wire shape: where 0.0.x and 0.1.x put a value
// (`*_ms` int64 vs a Timestamp field, `name` vs `sandbox`, a workspace string vs a WorkspaceSelector),
// and how 0.1.x pages (opaque page tokens bound to the method and the request that produced them).
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { timestamp, type Wire } from '../wire.js';
import { GrpcStatusError } from './status-error.js';

export type ServedGeneration = 'legacy' | 'current';

export const DEFAULT_WORKSPACE = 'default';

/** `{ <name>_ms: "…" }` for 0.0.x, `{ <currentName>: Timestamp }` for 0.1.x (absent when 0). */
export function timeField(gen: ServedGeneration, legacyName: string, currentName: string, ms: number | undefined): Wire {
  if (gen === 'legacy') return { [legacyName]: String(ms ?? 0) };
  const ts = timestamp(ms);
  return ts ? { [currentName]: ts } : {};
}

/** The workspace a request names. 0.1.x requires an explicit selector (omission no longer means default). */
export function workspaceOf(gen: ServedGeneration, request: Wire, { allowAll = false } = {}): string | '*' {
  if (gen === 'legacy') {
    if (request.all_workspaces === true && allowAll) return '*';
    return typeof request.workspace === 'string' && request.workspace ? request.workspace : DEFAULT_WORKSPACE;
  }
  const selector = request.workspace_scope as Wire | undefined;
  const which = selector?.selection;
  if (which === 'workspace' && typeof selector?.workspace === 'string' && selector.workspace) return selector.workspace;
  if (which === 'all_workspaces') {
    if (allowAll) return '*';
    throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'workspace_scope must select one named workspace for this request');
  }
  throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'workspace_scope must select a workspace');
}

/** The sandbox name a request names (`sandbox` in 0.1.x, `name` in 0.0.x). */
export function sandboxNameOf(gen: ServedGeneration, request: Wire): string {
  const value = gen === 'current' ? request.sandbox : request.name;
  if (typeof value !== 'string' || !value)
    throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, `${gen === 'current' ? 'sandbox' : 'name'} is required`);
  return value;
}

interface PageState {
  m: string;
  f: string;
  o: number;
}

const requestPrint = (request: Wire): string => {
  const { page_size: _s, page_token: _t, request_id: _r, ...rest } = request;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
};

/**
 * One page of `items`. 0.0.x: limit/offset. 0.1.x: page_size (0 → 100, capped at 1000, negative
 * refused) and an opaque page_token that only the same method and request may present.
 */
export function pageOf<T>(gen: ServedGeneration, method: string, request: Wire, items: T[]): { items: T[]; next: Wire } {
  if (gen === 'legacy') {
    const limit = Number(request.limit) || 100;
    const offset = Number(request.offset) || 0;
    return { items: items.slice(offset, offset + Math.min(limit, 1000)), next: {} };
  }
  const size = Number(request.page_size ?? 0);
  if (!Number.isInteger(size) || size < 0) throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'page_size must not be negative');
  const limit = size === 0 ? 100 : Math.min(size, 1000);
  const print = requestPrint(request);
  let offset = 0;
  const token = typeof request.page_token === 'string' ? request.page_token : '';
  if (token) {
    let state: PageState | undefined;
    try {
      state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as PageState;
    } catch {
      state = undefined;
    }
    if (!state || state.m !== method || state.f !== print || !Number.isInteger(state.o) || state.o < 0)
      throw new GrpcStatusError(grpc.status.INVALID_ARGUMENT, 'page_token does not belong to this request; start again without it');
    offset = state.o;
  }
  const page = items.slice(offset, offset + limit);
  const more = offset + limit < items.length;
  const next = more
    ? Buffer.from(JSON.stringify({ m: method, f: print, o: offset + limit } satisfies PageState)).toString('base64url')
    : '';
  return { items: page, next: { next_page_token: next } };
}
