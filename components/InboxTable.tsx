// Pending requests as a table: ink-table lays out the columns; only the visible window of rows is given
// to it, so a long inbox costs nothing extra to draw.
import { memo } from 'react';
import { Box, Text } from 'ink';
import { Table } from 'ink-table';
import { shortOperation } from '../src/core/inbox/pending-request.js';
import type { InboxRequest } from '../src/gateway/gateway.js';
import { age, safe, shortBinary, truncate } from './format.js';
import type { Theme } from './theme.js';

export interface InboxTableProps {
  rows: InboxRequest[];
  selectedId?: string;
  /** Rows that fit (table chrome excluded). */
  height: number;
  width: number;
  now: number;
  filter?: string;
  total: number;
  theme: Theme;
}

function statusText(r: InboxRequest, now: number): string {
  if (r.held > 0 && r.holdDeadline) return `held ${Math.max(0, Math.ceil((r.holdDeadline - now) / 1000))}s`;
  if (r.status === 'approved' && r.expiresAt) return `approved ${age(now, r.expiresAt)}`;
  return r.status;
}

/** The rows to draw: a window of `height` that keeps the selected row in view. */
export function visibleWindow<T>(rows: T[], selected: number, height: number): { start: number; rows: T[] } {
  const h = Math.max(1, height);
  const start = Math.max(0, Math.min(Math.max(selected - h + 1, 0), rows.length - h));
  return { start, rows: rows.slice(start, start + h) };
}

function InboxTableView({ rows, selectedId, height, width, now, filter, total, theme }: InboxTableProps) {
  if (rows.length === 0) {
    return (
      <Box flexDirection="column" paddingY={1}>
        <Text color={theme.muted}>
          {total === 0
            ? 'No requests yet. Anything the policy does not allow will appear here for a decision.'
            : `No request matches the filter '${safe(filter ?? '')}'.`}
        </Text>
      </Box>
    );
  }
  const selected = Math.max(
    0,
    rows.findIndex((r) => r.id === selectedId),
  );
  const view = visibleWindow(rows, selected, height);
  // The narrow columns take what their content needs (capped); destination and request share the rest
  // of the terminal width, so a row never wraps or gets clipped, whatever the ids look like. When even
  // that is too wide, the least needed columns go first: sandbox, age, hits, then binary.
  const narrow = width < 100;
  const all = view.rows.map((r) => ({
    ' ': r.id === selectedId ? '›' : ' ',
    id: truncate(safe(r.id), narrow ? 12 : 16),
    binary: truncate(safe(shortBinary(r.binary)), narrow ? 8 : 12),
    hits: String(r.hits),
    age: age(r.firstSeen, now),
    sandbox: truncate(safe(r.sandbox), 10),
    status: statusText(r, now),
  }));
  type Narrow = keyof (typeof all)[number];
  let keys = Object.keys(all[0]) as Narrow[];
  // ink-table pads every cell by one space each side and draws a border before each column and at the end.
  const room = (ks: Narrow[]) =>
    width - 1 - ((ks.length + 2) * 3 + 1) - ks.reduce((sum, k) => sum + Math.max(k.length, ...all.map((c) => c[k].length)), 0);
  for (const drop of ['sandbox', 'age', 'hits', 'binary'] as const) if (room(keys) < 24) keys = keys.filter((k) => k !== drop);
  const flexible = Math.max(10, room(keys));
  // The destination is what the operator decides on: it gets what it needs, up to the larger share;
  // the request sample takes the rest.
  const longestDest = Math.max(11, ...view.rows.map((r) => `${r.host}:${r.port}`.length));
  const destWidth = Math.min(longestDest, Math.floor(flexible * 0.65));
  const reqWidth = flexible - destWidth;
  const data = view.rows.map((r, i) => {
    const row: Record<string, string> = {
      ' ': all[i][' '],
      id: all[i].id,
      destination: truncate(safe(`${r.host}:${r.port}`), destWidth),
      // An L7 operation entry shows what waits (the tool, method or GraphQL operation), not just POST /mcp.
      request: truncate(
        safe(r.operation ? shortOperation(r.operation) : r.samples[0] ? `${r.samples[0].method} ${r.samples[0].path}` : 'CONNECT'),
        reqWidth,
      ),
    };
    for (const k of ['binary', 'hits', 'age', 'sandbox', 'status'] as const) if (keys.includes(k)) row[k] = all[i][k];
    return row;
  });
  return (
    <Box flexDirection="column">
      <Table data={data} padding={0} />
      <Text color={theme.muted}>
        [{selected + 1}/{rows.length}]{filter ? ` filter: ${safe(filter)}` : ''}
      </Text>
    </Box>
  );
}

/** Memoised: re-renders only when its props change (not on every unrelated store flush). */
export const InboxTable = memo(InboxTableView);
