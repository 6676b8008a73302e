// Destructive or bulk actions ask first: y confirms, Esc (or n) cancels.
import { Box, Text } from 'ink';
import type { Theme } from './theme.js';

export function ConfirmDialog({ question, theme }: { question: string; theme: Theme }) {
  return (
    <Box borderStyle="round" borderColor={theme.warn} paddingX={1}>
      <Text>
        {question}{' '}
        <Text color={theme.accent} bold>
          y
        </Text>{' '}
        yes /{' '}
        <Text color={theme.accent} bold>
          Esc
        </Text>{' '}
        no
      </Text>
    </Box>
  );
}
