// One provider: its type, its credentials by name with their expiry, its config keys. Never a
// credential's value: the Gateway interface has none to give (adapters drop them), and this pane has no
// field that could show one.
import { memo } from 'react';
import { Box, Text } from 'ink';
import type { ProviderDetail } from '../src/gateway/operator-views.js';
import { safe } from './format.js';
import type { Theme } from './theme.js';

export interface ProviderDetailPaneProps {
  name: string;
  detail?: ProviderDetail;
  error?: string;
  now: number;
  theme: Theme;
}

function expiry(at: number | undefined, now: number): { text: string; expired: boolean } {
  if (at === undefined) return { text: 'does not expire', expired: false };
  const when = new Date(at).toISOString().replace('T', ' ').slice(0, 16);
  return at <= now ? { text: `expired ${when} UTC`, expired: true } : { text: `expires ${when} UTC`, expired: false };
}

function ProviderDetailPaneView({ name, detail, error, now, theme }: ProviderDetailPaneProps) {
  if (error)
    return (
      <Text color={theme.danger}>
        provider {safe(name)}: {safe(error)} (Esc closes)
      </Text>
    );
  if (!detail) return <Text color={theme.muted}>Loading provider {safe(name)}…</Text>;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.border} paddingX={1}>
      <Text bold color={theme.accent}>
        Provider {safe(detail.name)} <Text color={theme.muted}>(Esc closes)</Text>
      </Text>
      <Text>
        <Text color={theme.muted}>type </Text>
        {safe(detail.type || '—')}
        <Text color={theme.muted}> workspace </Text>
        {safe(detail.workspace || '—')}
      </Text>
      <Text color={theme.muted}>credentials (names only)</Text>
      {detail.credentialNames.length === 0 && <Text color={theme.muted}> none</Text>}
      {detail.credentialNames.map((c) => {
        const e = expiry(detail.credentialExpiry[c], now);
        return (
          <Text key={c} wrap="truncate">
            {'  '}
            {safe(c)} <Text color={e.expired ? theme.danger : theme.muted}>{e.text}</Text>
          </Text>
        );
      })}
      {detail.configKeys.length > 0 && (
        <Text wrap="truncate">
          <Text color={theme.muted}>config keys </Text>
          {safe(detail.configKeys.join(', '))}
        </Text>
      )}
    </Box>
  );
}

/** Memoised: re-renders only when its props change. */
export const ProviderDetailPane = memo(ProviderDetailPaneView);
