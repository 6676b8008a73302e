// Promote a request to a persisted preset: name (validated live), description, access, binary scope,
// and the YAML that Enter will write.
import { memo } from 'react';
import { Box, Text } from 'ink';
import { sanitizeMultiline } from '../src/core/text/sanitize.js';
import type { PromoteRequest } from '../src/gateway/gateway.js';
import { safe } from './format.js';
import type { Theme } from './theme.js';

export interface PromoteDialogProps {
  requestLabel: string;
  form: PromoteRequest;
  /** 0 name, 1 description, 2 access, 3 binary scope. */
  focus: number;
  binary: string;
  preview?: string;
  error?: string;
  /** Something the operator should know that does not block writing. */
  warning?: string;
  theme: Theme;
}

function PromoteDialogView({ requestLabel, form, focus, binary, preview, error, warning, theme }: PromoteDialogProps) {
  const row = (index: number, label: string, value: string, hint: string) => (
    <Text wrap="truncate">
      <Text color={focus === index ? theme.accent : theme.muted}>
        {focus === index ? '› ' : '  '}
        {label.padEnd(12)}
      </Text>
      <Text inverse={focus === index && index < 2}>{value || ' '}</Text>
      <Text color={theme.muted}> {hint}</Text>
    </Text>
  );
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.accent} paddingX={1}>
      <Text bold color={theme.accent}>
        Promote {safe(requestLabel)} to a preset <Text color={theme.muted}>(Tab next field, Enter write + apply, Esc cancel)</Text>
      </Text>
      {row(0, 'name', form.name, 'RFC 1123, not a built-in name')}
      {row(1, 'description', form.description ?? '', '')}
      {row(2, 'access', form.access, 'space cycles: read-only, read-write, full')}
      {row(3, 'binary', form.anyBinary ? 'any binary' : safe(binary), 'space toggles')}
      {error ? (
        <Text color={theme.danger} wrap="truncate">
          ✗ {error}
        </Text>
      ) : (
        <Text color={theme.ok}>✓ ready</Text>
      )}
      {warning && (
        <Text color={theme.warn} wrap="truncate">
          ! {safe(warning)}
        </Text>
      )}
      {preview && <Text>{sanitizeMultiline(preview)}</Text>}
    </Box>
  );
}

/** Memoised: re-renders only when its props change. */
export const PromoteDialog = memo(PromoteDialogView);
