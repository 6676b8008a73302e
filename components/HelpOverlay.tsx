// Every key of the current screen and every `:` command, generated from the command registry, in two
// columns so it fits at 80×24.
import { memo } from 'react';
import { Box, Text } from 'ink';
import type { Theme } from './theme.js';

function HelpOverlayView({
  title,
  entries,
  commands,
  theme,
}: {
  title: string;
  entries: Array<{ keys: string; description: string }>;
  commands: string[];
  theme: Theme;
}) {
  const half = Math.ceil(entries.length / 2);
  const keyWidth = Math.min(12, Math.max(...entries.map((e) => e.keys.length)) + 1);
  const column = (list: typeof entries) => (
    <Box flexDirection="column" width="50%" paddingRight={2}>
      {list.map((e) => (
        <Text key={e.keys + e.description} wrap="truncate">
          <Text color={theme.accent}>{e.keys.padEnd(keyWidth)}</Text>
          {e.description}
        </Text>
      ))}
    </Box>
  );
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.border} paddingX={1}>
      <Text bold color={theme.accent}>
        {title}
      </Text>
      <Box>
        {column(entries.slice(0, half))}
        {column(entries.slice(half))}
      </Box>
      <Text wrap="wrap">
        <Text color={theme.accent}>Commands </Text>
        {commands.join('  ')}
      </Text>
    </Box>
  );
}

/** Memoised: re-renders only when its props change (not on every unrelated store flush). */
export const HelpOverlay = memo(HelpOverlayView);
