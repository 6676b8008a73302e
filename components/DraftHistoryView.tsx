// A sandbox's draft history (GetDraftHistory): what the gateway proposed, and what was decided, when.
import { memo } from 'react';
import { Box, Text } from 'ink';
import type { DraftHistoryEntry } from '../src/gateway/operator-views.js';
import { safe } from './format.js';
import type { Theme } from './theme.js';

export interface DraftHistoryViewProps {
  sandbox?: string;
  entries?: DraftHistoryEntry[];
  scroll: number;
  height: number;
  error?: string;
  theme: Theme;
}

const typeColor = (theme: Theme, type: string) =>
  /approv/i.test(type) ? theme.ok : /reject|clear/i.test(type) ? theme.danger : /edit/i.test(type) ? theme.warn : theme.accent;

/** A window of the entries, each with its position (its identity: entries can repeat, positions do not). */
const numbered = (rows: DraftHistoryEntry[], from: number, count: number) =>
  rows.slice(from, from + count).map((e, offset) => ({ e, n: from + offset }));

function DraftHistoryViewView({ sandbox, entries, scroll, height, error, theme }: DraftHistoryViewProps) {
  const rows = entries ?? [];
  return (
    <Box flexDirection="column">
      <Text bold color={theme.accent}>
        Draft history{' '}
        <Text color={theme.muted}>
          sandbox {safe(sandbox ?? '—')}, {rows.length} entries (H or Esc: the policy)
        </Text>
      </Text>
      {numbered(rows, scroll, Math.max(1, height - 2)).map(({ e, n }) => (
        <Text key={n} wrap="truncate">
          <Text color={theme.muted}>{e.time ? new Date(e.time).toISOString().replace('T', ' ').slice(0, 19) : '—'.padEnd(19)} </Text>
          <Text color={typeColor(theme, e.type)}>{safe(e.type).padEnd(10)} </Text>
          {e.chunkId ? <Text color={theme.muted}>{safe(e.chunkId)} </Text> : null}
          {safe(e.description)}
        </Text>
      ))}
      {!entries && !error && <Text color={theme.muted}>Loading the draft history…</Text>}
      {entries && rows.length === 0 && <Text color={theme.muted}>Nothing drafted yet.</Text>}
      {error && <Text color={theme.danger}>draft history unavailable: {safe(error)}</Text>}
    </Box>
  );
}

/** Memoised: re-renders only when its props change. */
export const DraftHistoryView = memo(DraftHistoryViewView);
