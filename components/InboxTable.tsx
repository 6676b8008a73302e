// Pending requests as a table: ink-table lays out the columns; only the visible window of rows is given
// to it, so a long inbox costs nothing extra to draw.
import { memo } from 'react';
import { Box, Text } from 'ink';
import { Table } from 'ink-table';
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
  const start = Math.max(0, Math.min(selected - h + 1 > 0 ? selected - h + 1 : 0, rows.length - h));
  return { start, rows: rows.slice(start, start + h) };
}

function InboxTableView({ rows, selectedId, height, width, now, filter, total, theme }: InboxTableProps) {
  if (rows.length === 0) {
    return (
      <Box flexDirection="column" paddingY={1}>
        <Text color={theme.muted}>{total === 0 ? 'No requests yet. Anything the policy does not allow will appear here for a decision.' : `No request matches the filter '${safe(filter ?? '')}'.`}</Text>
      </Box>
    );
  }
  const selected = Math.max(0, rows.findIndex((r) => r.id === selectedId));
  const view = visibleWindow(rows, selected, height);
  // Columns share what the terminal leaves after the fixed ones.
  const flexible = Math.max(24, width - 56);
  // The destination is what the operator decides on: it gets what it needs, up to the larger share;
  // the request sample takes the rest.
  const longestDest = Math.max(11, ...view.rows.map((r) => `${r.host}:${r.port}`.length));
  const destWidth = Math.min(longestDest, Math.floor(flexible * 0.65));
  const reqWidth = flexible - destWidth;
  const data = view.rows.map((r) => ({
    ' ': r.id === selectedId ? '›' : ' ',
    id: r.id,
    destination: truncate(safe(`${r.host}:${r.port}`), destWidth),
    request: truncate(safe(r.samples[0] ? `${r.samples[0].method} ${r.samples[0].path}` : 'CONNECT'), reqWidth),
    binary: truncate(safe(shortBinary(r.binary)), 12),
    hits: r.hits,
    age: age(r.firstSeen, now),
    sandbox: truncate(safe(r.sandbox), 8),
    status: statusText(r, now),
  }));
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
