// The inbox before the first request: where the proxy is, how to point an agent at it, one command to try
// (one line each, so it fits 80×24 beside the title and the nav bar).
import { Box, Text } from 'ink';
import { memo } from 'react';
import type { Onboarding } from '../src/store/ui/onboarding.js';
import { safe } from './format.js';
import type { Theme } from './theme.js';

function EmptyInboxView({ onboarding, theme }: { onboarding: Onboarding; theme: Theme }) {
  const labelWidth = Math.max(...onboarding.steps.map((s) => s.label.length)) + 2;
  return (
    <Box flexDirection="column" paddingY={1} paddingX={1}>
      <Text color={theme.muted} wrap="wrap">
        {safe(onboarding.title)}
      </Text>
      <Text> </Text>
      {onboarding.steps.map((step) => (
        <Box key={step.label} flexDirection="column">
          <Text wrap="truncate">
            <Text color={theme.muted}>{safe(step.label).padEnd(labelWidth)}</Text>
            <Text bold color={theme.accent}>
              {safe(step.command)}
            </Text>
          </Text>
          {step.note && (
            <Text color={theme.muted} wrap="truncate">
              {' '.repeat(labelWidth)}
              {safe(step.note)}
            </Text>
          )}
        </Box>
      ))}
    </Box>
  );
}

export const EmptyInbox = memo(EmptyInboxView);
