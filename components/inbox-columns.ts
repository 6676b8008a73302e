// How the inbox's columns share the terminal's width, as a pure function (tested without Ink). The
// destination is what the operator decides on: host:port stays whole (a long host loses its middle, never
// its port); the request path gives way first; on narrow terminals the least needed columns go
// (sandbox, age, hits, then binary) rather than a row wrapping.
import { shortOperation } from '../src/core/inbox/pending-request.js';
import type { InboxRequest } from '../src/gateway/gateway.js';
import { rowStatus, rowStatusText } from '../src/store/ui/request-status.js';
import { badgesOf } from './badges.js';
import { age, destination, safe, shortBinary, truncate } from './format.js';
import { STATUS_LOOK } from './theme.js';

export type ColumnKey = 'status' | 'id' | 'destination' | 'request' | 'binary' | 'hits' | 'age' | 'sandbox';

export interface Column {
  key: ColumnKey;
  width: number;
}

export interface InboxLayout {
  columns: Column[];
  /** Spaces between columns. */
  gap: number;
}

/** The request cell's parts: the method (coloured by what it does), an L7 badge, the path. */
export interface RequestCell {
  method: string;
  badge?: string;
  path: string;
}

export function requestCell(r: InboxRequest): RequestCell {
  const s = r.samples[0];
  // An L7 operation entry shows what waits (the tool, method or GraphQL operation), not just POST /mcp.
  const op = r.operation ? shortOperation(r.operation) : s?.badge;
  if (!s) return { method: 'CONNECT', badge: op ? safe(op) : undefined, path: '(tunnel)' };
  return { method: safe(s.method), badge: op ? safe(op) : undefined, path: safe(s.path) };
}

const requestLength = (c: RequestCell) => c.method.length + 1 + (c.badge ? c.badge.length + 3 : 0) + [...c.path].length;

const withBadges = (status: string, badges: string) => (badges ? `${status} ${badges}` : status);

/** The plain text of every fixed-width cell of a row (the status with its symbol). */
export function fixedCells(r: InboxRequest, now: number, narrow: boolean): Record<Exclude<ColumnKey, 'destination' | 'request'>, string> {
  return {
    status: withBadges(`${STATUS_LOOK[rowStatus(r)].symbol} ${rowStatusText(r, now)}`, badgesOf(r)),
    id: truncate(safe(r.id), narrow ? 12 : 16),
    binary: truncate(safe(shortBinary(r.binary)), narrow ? 8 : 12),
    hits: String(r.hits),
    age: age(r.firstSeen, now),
    sandbox: truncate(safe(r.sandbox), 10),
  };
}

// The destination and request share at least this much before a column is dropped.
const MIN_FLEX = 40;

export function layoutInbox(rows: readonly InboxRequest[], width: number, now: number): InboxLayout {
  const narrow = width < 100;
  const gap = narrow ? 1 : 2;
  const cells = rows.map((r) => fixedCells(r, now, narrow));
  const need = (key: Exclude<ColumnKey, 'destination' | 'request'>) => Math.max(key.length, ...cells.map((c) => [...c[key]].length));
  let fixed: Exclude<ColumnKey, 'destination' | 'request'>[] = ['status', 'id', 'binary', 'hits', 'age', 'sandbox'];
  // On a narrow terminal a sandbox column that says the same on every row (the title bar names it) goes first.
  if (narrow && new Set(rows.map((r) => r.sandbox)).size <= 1) fixed = fixed.filter((k) => k !== 'sandbox');
  // One leading column for the selection's edge.
  const room = (keys: typeof fixed) => width - 1 - keys.reduce((sum, k) => sum + need(k), 0) - gap * (keys.length + 1);
  for (const drop of ['sandbox', 'age', 'hits', 'binary'] as const) if (room(fixed) < MIN_FLEX) fixed = fixed.filter((k) => k !== drop);
  const flexible = Math.max(12, room(fixed));
  const destNeed = Math.max('destination'.length, ...rows.map((r) => destination(r.host, r.port, Infinity).length));
  const reqNeed = Math.max('request'.length, ...rows.map((r) => requestLength(requestCell(r))));
  // The destination takes what it needs up to 60% of the shared room (more when the requests are short);
  // only a host longer than that gives up its middle (the port stays). The path gives way first.
  const destWidth = Math.min(destNeed, flexible - 4, Math.max(flexible - reqNeed, Math.floor(flexible * 0.6), 16));
  const reqWidth = Math.max(1, flexible - destWidth);
  const widths: Record<ColumnKey, number> = {
    status: need('status'),
    id: need('id'),
    destination: destWidth,
    request: reqWidth,
    binary: need('binary'),
    hits: need('hits'),
    age: need('age'),
    sandbox: need('sandbox'),
  };
  const order: ColumnKey[] = ['status', 'id', 'destination', 'request', 'binary', 'hits', 'age', 'sandbox'];
  const shown = order.filter((k) => k === 'destination' || k === 'request' || fixed.includes(k));
  return { columns: shown.map((key) => ({ key, width: widths[key] })), gap };
}
