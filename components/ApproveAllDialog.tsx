// Approve-all asks first, and says exactly what it will do: each request it approves, then each it
// skips and why (the gateway's own preview). y approves the listed ones, Esc (or n) cancels.
import { memo } from 'react';
import { Box, Text } from 'ink';
import type { SkipReason } from '../src/gateway/gateway.js';
import type { ConfirmRow } from '../src/store/ui/ui-state.js';
import { safe, truncate } from './format.js';
import type { Theme } from './theme.js';

export const SKIP_REASONS: Record<SkipReason, string> = {
  'security-flagged': 'security-flagged: review it on its own',
  stale: 'stale: the proposal changed or cannot be applied',
  'awaiting-proposal': 'awaiting proposal: nothing drafted to approve yet',
  'not-pending': 'already decided',
  'unknown-binary': 'binary unknown: approving would let any unidentified program through',
  'global-policy': 'a global policy is active: rules cannot be approved',
};

export interface ApproveAllDialogProps {
  approve: ConfirmRow[];
  skip: Array<ConfirmRow & { why: SkipReason }>;
  /** "session", "10m", or how a gateway applies it ("one policy revision"). */
  how: string;
  /** Lines it may use. */
  height: number;
  width: number;
  theme: Theme;
}

function ApproveAllDialogView({ approve, skip, how, height, width, theme }: ApproveAllDialogProps) {
  const total = approve.length + skip.length;
  const question =
    skip.length === 0
      ? `Approve all ${approve.length} visible pending requests (${how})?`
      : `Approve ${approve.length} of ${total} visible pending requests (${how}); skip ${skip.length}?`;
  // Title, key line and borders take 4 lines; the lists share the rest, skips keeping at least a few.
  const room = Math.max(2, height - 4);
  const skipRoom = skip.length === 0 ? 0 : Math.min(skip.length + 1, Math.max(2, Math.floor(room / 2)));
  const approveRoom = Math.max(1, room - skipRoom - 1);
  const line = (r: ConfirmRow) => truncate(safe(`${r.subject}  ${r.sandbox}  ${r.id}`), Math.max(20, width - 12));
  const more = (n: number) => (n > 0 ? <Text color={theme.muted}> … and {n} more</Text> : null);
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.warn} paddingX={1}>
      <Text bold>{question}</Text>
      {approve.slice(0, approveRoom).map((r) => (
        <Text key={r.id} wrap="truncate">
          <Text color={theme.ok}>✓ </Text>
          {line(r)}
        </Text>
      ))}
      {more(approve.length - approveRoom)}
      {skip.length > 0 && <Text color={theme.muted}>Skipped:</Text>}
      {skip.slice(0, Math.max(0, skipRoom - 1)).map((r) => (
        <Text key={r.id} wrap="truncate">
          <Text color={theme.warn}>– </Text>
          {truncate(safe(`${r.subject}  ${SKIP_REASONS[r.why]}`), Math.max(20, width - 12))}
        </Text>
      ))}
      {skip.length > 0 && more(skip.length - Math.max(0, skipRoom - 1))}
      <Text>
        <Text color={theme.accent} bold>
          y
        </Text>{' '}
        approve these /{' '}
        <Text color={theme.accent} bold>
          Esc
        </Text>{' '}
        no
      </Text>
    </Box>
  );
}

/** Memoised: re-renders only when its props change. */
export const ApproveAllDialog = memo(ApproveAllDialogView);
