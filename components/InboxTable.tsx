// The inbox as a table of one line per request: status by symbol and colour, the method coloured by what
// it does, an L7 badge where the entry has one, and the selection as a full-width highlighted row. Only
// the visible window of rows is drawn, so a long inbox costs nothing extra.
import { memo, type ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { InboxRequest } from '../src/gateway/gateway.js';
import { rowStatus } from '../src/store/ui/request-status.js';
import { destination, padTo, safe, truncate } from './format.js';
import { type Column, fixedCells, layoutInbox, requestCell } from './inbox-columns.js';
import { methodColor, STATUS_LOOK, statusColor, type Theme } from './theme.js';

export interface InboxTableProps {
  rows: InboxRequest[];
  selectedId?: string;
  /** Rows that fit (header and position line excluded). */
  height: number;
  width: number;
  now: number;
  filter?: string;
  total: number;
  theme: Theme;
  /** Shown instead of the table while the inbox is empty (how to send the first request). */
  empty?: ReactNode;
}

/** The rows to draw: a window of `height` that keeps the selected row in view. */
export function visibleWindow<T>(rows: T[], selected: number, height: number): { start: number; rows: T[] } {
  const h = Math.max(1, height);
  const start = Math.max(0, Math.min(Math.max(selected - h + 1, 0), rows.length - h));
  return { start, rows: rows.slice(start, start + h) };
}

const TITLES: Record<Column['key'], string> = {
  status: 'status',
  id: 'id',
  destination: 'destination',
  request: 'request',
  binary: 'binary',
  hits: 'hits',
  age: 'age',
  sandbox: 'sandbox',
};

function Row({
  r,
  columns,
  gap,
  now,
  width,
  selected,
  theme,
}: {
  r: InboxRequest;
  columns: Column[];
  gap: number;
  now: number;
  width: number;
  selected: boolean;
  theme: Theme;
}) {
  const fixed = fixedCells(r, now, width < 100);
  const status = rowStatus(r);
  const look = STATUS_LOOK[status];
  const sep = ' '.repeat(gap);
  // On the selection background, coloured text keeps only the status colour (a blue method on a blue bar would vanish).
  const plain = selected && theme.selection ? theme.selectionText : undefined;
  const cells = columns.map((c, i) => {
    const lead = i === 0 ? '' : sep;
    switch (c.key) {
      case 'status':
        return (
          <Text key={c.key} color={statusColor(theme, status)} bold={look.bold || selected}>
            {padTo(fixed.status, c.width)}
          </Text>
        );
      case 'destination':
        return (
          <Text key={c.key} bold={status === 'pending' || status === 'held'}>
            {lead}
            {padTo(destination(safe(r.host), r.port, c.width), c.width)}
          </Text>
        );
      case 'request': {
        const cell = requestCell(r);
        const method = truncate(cell.method, c.width);
        const room = Math.max(0, c.width - method.length - 1);
        const badge = cell.badge && cell.badge.length + 8 <= room ? `[${cell.badge}] ` : '';
        const pathRoom = room - badge.length;
        return (
          <Text key={c.key}>
            {lead}
            <Text color={plain ?? methodColor(theme, cell.method)} bold>
              {method}
            </Text>
            {c.width > method.length ? ' ' : ''}
            {badge ? <Text color={plain ?? theme.accent}>{badge}</Text> : null}
            {padTo(truncate(cell.path, pathRoom), pathRoom)}
          </Text>
        );
      }
      default:
        return (
          <Text key={c.key} color={plain ?? (c.key === 'id' ? undefined : theme.muted)}>
            {lead}
            {padTo(fixed[c.key], c.width)}
          </Text>
        );
    }
  });
  const used = 1 + columns.reduce((sum, c) => sum + c.width, 0) + gap * (columns.length - 1);
  const pad = ' '.repeat(Math.max(0, width - 1 - used));
  if (!selected)
    return (
      <Text wrap="truncate">
        {' '}
        {cells}
        {pad}
      </Text>
    );
  return (
    <Text wrap="truncate" backgroundColor={theme.selection} color={theme.selectionText} inverse={!theme.selection}>
      <Text color={statusColor(theme, status)}>▌</Text>
      {cells}
      {pad}
    </Text>
  );
}

function InboxTableView({ rows, selectedId, height, width, now, filter, total, theme, empty }: InboxTableProps) {
  if (rows.length === 0) {
    if (total === 0 && empty) return <>{empty}</>;
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
  const { columns, gap } = layoutInbox(view.rows, width, now);
  const header = columns.map((c) => padTo(TITLES[c.key], c.width)).join(' '.repeat(gap));
  const pending = rows.filter((r) => r.status === 'pending').length;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate" color={theme.muted} bold>
        {' '}
        {header}
      </Text>
      {view.rows.map((r) => (
        <Row key={r.id} r={r} columns={columns} gap={gap} now={now} width={width} selected={r.id === selectedId} theme={theme} />
      ))}
      <Text color={theme.muted} wrap="truncate">
        [{selected + 1}/{rows.length}] {pending} pending{filter ? `  filter: ${safe(filter)}` : ''}
      </Text>
    </Box>
  );
}

/** Memoised: re-renders only when its props change (not on every unrelated store flush). */
export const InboxTable = memo(InboxTableView);
