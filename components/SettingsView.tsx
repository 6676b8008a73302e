// Settings of the sandbox on screen and the gateway-global ones, each with where its value comes from
// (a global value wins over a sandbox's); e sets the selected one, d deletes it, both confirmed first.
import { memo } from 'react';
import { Box, Text } from 'ink';
import type { ScopedSetting } from '../src/store/ui/operator-selectors.js';
import { safe, truncate } from './format.js';
import type { Theme } from './theme.js';

export interface SettingsViewProps {
  sandbox?: string;
  rows: ScopedSetting[];
  cursor: number;
  loading: boolean;
  error?: string;
  height: number;
  width: number;
  theme: Theme;
}

const SOURCE_LABEL = { sandbox: 'sandbox', global: 'global', unset: 'unset' } as const;

function SettingsViewView({ sandbox, rows, cursor, loading, error, height, width, theme }: SettingsViewProps) {
  const keyWidth = Math.max(12, ...rows.map((r) => r.key.length));
  const first = Math.max(0, Math.min(cursor - Math.floor((height - 4) / 2), rows.length - (height - 4)));
  const shown = rows.slice(first, first + Math.max(1, height - 4));
  return (
    <Box flexDirection="column">
      <Text bold color={theme.accent}>
        Settings <Text color={theme.muted}>sandbox {safe(sandbox ?? '—')} and gateway-global (e set, d delete; s or Esc: the policy)</Text>
      </Text>
      <Text color={theme.muted} wrap="truncate">
        {'  '}
        {'scope'.padEnd(8)} {'key'.padEnd(keyWidth)} {'source'.padEnd(8)} {'type'.padEnd(6)} value
      </Text>
      {shown.map((r, i) => {
        const selected = first + i === cursor;
        return (
          <Text key={`${r.scope}:${r.key}`} wrap="truncate" inverse={selected}>
            {selected ? '› ' : '  '}
            {r.scope.padEnd(8)} {safe(r.key).padEnd(keyWidth)}{' '}
            <Text color={r.source === 'global' ? theme.warn : r.source === 'unset' ? theme.muted : theme.ok}>
              {SOURCE_LABEL[r.source].padEnd(8)}
            </Text>{' '}
            {(r.type ?? r.kind).padEnd(6)}{' '}
            {r.source === 'unset' ? <Text color={theme.muted}>(unset)</Text> : truncate(safe(r.value), Math.max(10, width - keyWidth - 32))}
          </Text>
        );
      })}
      {rows.length === 0 && <Text color={theme.muted}>{loading ? 'Loading settings…' : 'No settings reported.'}</Text>}
      {error && <Text color={theme.danger}>settings unavailable: {safe(error)}</Text>}
    </Box>
  );
}

/** Memoised: re-renders only when its props change. */
export const SettingsView = memo(SettingsViewView);
