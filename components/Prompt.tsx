// A one-line text field: the command bar (:), the filter (/), a rejection reason.
import { Text } from 'ink';
import type { Theme } from './theme.js';

export function Prompt({ label, value, theme }: { label: string; value: string; theme: Theme }) {
  return (
    <Text>
      <Text color={theme.accent} bold>
        {label}
      </Text>
      {value}
      <Text inverse> </Text>
    </Text>
  );
}
