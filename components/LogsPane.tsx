// Logs with k9s follow semantics: following shows the newest lines; scrolling up pauses.
import { memo } from 'react';
import { Box, Text } from 'ink';
import { type LogKind, type LogLine, logKindOf } from '../src/core/engine/log-buffer.js';
import { safe, truncate } from './format.js';
import type { Theme } from './theme.js';

export interface LogsPaneProps {
  lines: LogLine[];
  /** Index of the last visible line. */
  cursor: number;
  following: boolean;
  height: number;
  width: number;
  filter?: string;
  level?: string;
  source?: string;
  kind?: LogKind | 'all';
  /** Show the line at the cursor in full. */
  detail?: boolean;
  theme: Theme;
}

const levelColor = (theme: Theme, level: string) => (level === 'error' ? theme.danger : level === 'warn' ? theme.warn : theme.muted);

/** Each kind's colour: what needs the operator (requests, timeouts) warm, failures red, decisions green. */
const KIND_ROLE: Record<LogKind, keyof Theme> = {
  request: 'accent',
  timeout: 'warn',
  decision: 'ok',
  denial: 'danger',
  tls: 'danger',
  upstream: 'danger',
  policy: 'warm',
  notice: 'warn',
  other: 'muted',
};

function LogsPaneView({ lines, cursor, following, height, width, filter, level, source, kind, detail, theme }: LogsPaneProps) {
  const end = Math.min(lines.length, cursor + 1);
  const at = lines[end - 1];
  if (detail && at) {
    return (
      <Box flexDirection="column" borderStyle="round" borderColor={theme.border} paddingX={1}>
        <Text bold color={theme.accent}>
          Log line {at.seq} <Text color={theme.muted}>(Esc closes)</Text>
        </Text>
        <Text>
          {new Date(at.time).toISOString()} {at.level} {safe(at.source)} ({logKindOf(at)})
        </Text>
        <Text wrap="wrap">{safe(at.message)}</Text>
      </Box>
    );
  }
  const filters = [
    filter ? `filter: ${safe(filter)}` : '',
    level && level !== 'all' ? `level ≥ ${level}` : '',
    source && source !== 'all' ? `source: ${safe(source)}` : '',
    kind && kind !== 'all' ? `kind: ${kind}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const start = Math.max(0, end - height);
  return (
    <Box flexDirection="column">
      <Text>
        {following ? <Text color={theme.ok}>● FOLLOWING</Text> : <Text color={theme.warn}>○ PAUSED</Text>}
        <Text color={theme.muted}>
          {' '}
          [{lines.length === 0 ? 0 : end}/{lines.length}]{filters ? ` ${filters}` : ''}
        </Text>
      </Text>
      {lines.slice(start, end).map((l) => (
        <Text key={l.seq} wrap="truncate">
          <Text color={theme.muted}>{new Date(l.time).toISOString().slice(11, 19)} </Text>
          <Text color={levelColor(theme, l.level)}>{l.level.padEnd(5)} </Text>
          <Text color={theme[KIND_ROLE[logKindOf(l)]] as string | undefined}>{logKindOf(l).padEnd(8)} </Text>
          {truncate(safe(l.message), Math.max(10, width - 30))}
        </Text>
      ))}
      {lines.length === 0 && <Text color={theme.muted}>No log lines yet.</Text>}
    </Box>
  );
}

/** Memoised: re-renders only when its props change (not on every unrelated store flush). */
export const LogsPane = memo(LogsPaneView);
