// Denials that will never become a proposal, beside the inbox with why (the destination guard refusing
// an always-blocked address; a host that resolved outside its allowed_ips), instead of never appearing.
import { memo } from 'react';
import { Box, Text } from 'ink';
import type { UndraftableDenial } from '../src/gateway/gateway.js';
import { safe, truncate } from './format.js';
import type { Theme } from './theme.js';

export interface UndraftablePanelProps {
  denials: UndraftableDenial[];
  /** Lines it may use (title included). */
  height: number;
  width: number;
  theme: Theme;
}

const KIND = { 'destination-guard': 'destination guard', 'allowed-ips-drift': 'allowed_ips drift' } as const;

function UndraftablePanelView({ denials, height, width, theme }: UndraftablePanelProps) {
  if (denials.length === 0) return null;
  const shown = denials.slice(0, Math.max(1, height - 1));
  return (
    <Box flexDirection="column">
      <Text color={theme.warn} bold>
        Denied, never drafted ({denials.length}){denials.length > shown.length ? ` — newest ${shown.length}` : ''}
      </Text>
      {shown.map((d) => (
        <Text key={`${d.sandbox}|${d.host}|${d.port}|${d.process}|${d.kind}`} wrap="truncate">
          {truncate(
            safe(`${d.host}:${d.port} ${d.process || '?'} ×${d.count} ${d.sandbox} · ${KIND[d.kind]}: ${d.why}`),
            Math.max(20, width - 1),
          )}
        </Text>
      ))}
    </Box>
  );
}

/** Memoised: re-renders only when its props change. */
export const UndraftablePanel = memo(UndraftablePanelView);
