// Narrow a proposal before approving it: ports, binaries, L7 paths, allowed_ips, each a list the operator
// can only shrink (or pin, for allowed_ips). The check runs as they type; Enter narrows and approves.
import { memo } from 'react';
import { Box, Text } from 'ink';
import { EDIT_FIELDS, EDIT_LABELS, type EditState } from '../src/store/ui/edit-form.js';
import { safe } from './format.js';
import type { Theme } from './theme.js';

const HINTS = {
  ports: 'a subset of the proposed ports',
  binaries: 'literal paths the proposal names',
  paths: 'within the proposed paths (empty proposal: any)',
  allowedIps: 'IPs or CIDRs the host may resolve to',
} as const;

export interface EditChunkDialogProps {
  requestLabel: string;
  edit: EditState;
  /** What is wrong with the form now, if anything. */
  error?: string;
  theme: Theme;
}

function EditChunkDialogView({ requestLabel, edit, error, theme }: EditChunkDialogProps) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.accent} paddingX={1}>
      <Text bold color={theme.accent}>
        Narrow {safe(requestLabel)} <Text color={theme.muted}>(Tab next field, Enter narrow + approve, Esc cancel)</Text>
      </Text>
      {EDIT_FIELDS.map((field, i) => (
        <Text key={field} wrap="truncate">
          <Text color={edit.focus === i ? theme.accent : theme.muted}>
            {edit.focus === i ? '› ' : '  '}
            {EDIT_LABELS[field].padEnd(12)}
          </Text>
          <Text inverse={edit.focus === i}>{safe(edit.values[field]) || ' '}</Text>
          <Text color={theme.muted}> {HINTS[field]}</Text>
        </Text>
      ))}
      {error ? (
        <Text color={theme.danger} wrap="truncate">
          ✗ {safe(error)}
        </Text>
      ) : (
        <Text color={theme.ok}>✓ ready: Enter narrows the proposal, then approves it</Text>
      )}
    </Box>
  );
}

/** Memoised: re-renders only when its props change. */
export const EditChunkDialog = memo(EditChunkDialogView);
