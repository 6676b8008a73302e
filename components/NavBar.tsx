// The keys that work right now (generated from the keymap), the approval lifetime, and one status line;
// each a single line truncated to the terminal's width.
import { memo } from 'react';
import { Box, Text } from 'ink';
import type { Theme } from './theme.js';

export interface NavBarProps {
  hints: Array<{ keys: string; label: string }>;
  lifetime?: string;
  status?: { text: string; kind: 'info' | 'error' };
  theme: Theme;
}

function NavBarView({ hints, lifetime, status, theme }: NavBarProps) {
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        {lifetime && (
          <Text color={theme.muted}>
            [<Text color={theme.accent}>{lifetime}</Text>]{' '}
          </Text>
        )}
        {hints.map((h) => (
          <Text key={h.keys + h.label}>
            <Text color={theme.accent} bold>
              {h.keys}
            </Text>
            <Text color={theme.muted}> {h.label} </Text>
          </Text>
        ))}
      </Text>
      <Text color={status?.kind === 'error' ? theme.danger : theme.muted} wrap="truncate">
        {status?.text ?? ' '}
      </Text>
    </Box>
  );
}

/** Memoised: re-renders only when its props change (not on every unrelated store flush). */
export const NavBar = memo(NavBarView);
