// A sandbox's metadata, as upstream's sandbox detail shows it: phase, image, providers, conditions,
// configuration admission (with its error: upstream's "Invalid config"), restarts, and the policy version
// with its load status. Everything here came from the gateway, so it all goes through `safe`.
import { memo, type ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { SandboxMetadata } from '../src/gateway/operator-views.js';
import { safe } from './format.js';
import type { Theme } from './theme.js';

export interface SandboxMetadataPaneProps {
  metadata?: SandboxMetadata;
  error?: string;
  theme: Theme;
}

function Field({ label, children, theme }: { label: string; children: ReactNode; theme: Theme }) {
  return (
    <Text wrap="truncate">
      <Text color={theme.muted}>{label.padEnd(14)}</Text>
      {children}
    </Text>
  );
}

function SandboxMetadataPaneView({ metadata: m, error, theme }: SandboxMetadataPaneProps) {
  if (error && !m) return <Text color={theme.danger}>sandbox metadata unavailable: {safe(error)}</Text>;
  if (!m) return <Text color={theme.muted}>Loading the sandbox's metadata…</Text>;
  const admissionBad = m.admission.state === 'rejected';
  const policyBad = m.policyStatus === 'failed';
  return (
    <Box flexDirection="column">
      <Text bold color={theme.accent}>
        Sandbox {safe(m.name)} <Text color={theme.muted}>in workspace {safe(m.workspace)} (i or Esc: the policy)</Text>
      </Text>
      <Field label="phase" theme={theme}>
        <Text color={m.phase === 'Ready' ? theme.ok : m.phase === 'Error' ? theme.danger : theme.warn}>{safe(m.phase)}</Text>
      </Field>
      <Field label="image" theme={theme}>
        {safe(m.image || '—')}
      </Field>
      <Field label="providers" theme={theme}>
        {m.providers.length > 0 ? safe(m.providers.join(', ')) : '—'}
      </Field>
      <Field label="admission" theme={theme}>
        <Text color={admissionBad ? theme.danger : undefined}>
          {admissionBad ? 'Invalid config' : safe(m.admission.state)}
          {m.admission.error ? `: ${safe(m.admission.error)}` : ''}
        </Text>
      </Field>
      <Field label="restarts" theme={theme}>
        <Text color={m.restartCount > 0 ? theme.warn : undefined}>{m.restartCount}</Text>
      </Field>
      <Field label="policy" theme={theme}>
        version {m.policyVersion}{' '}
        <Text color={policyBad ? theme.danger : m.policyStatus === 'loaded' ? theme.ok : theme.warn}>{safe(m.policyStatus)}</Text>
        {m.policyLoadError ? <Text color={theme.danger}> {safe(m.policyLoadError)}</Text> : null}
        {m.policySource === 'global' ? <Text color={theme.warn}> (a gateway-global policy is in force)</Text> : null}
      </Field>
      <Text bold color={theme.accent}>
        Conditions
      </Text>
      {m.conditions.length === 0 && <Text color={theme.muted}>none reported</Text>}
      {m.conditions.map((c) => (
        <Text key={c.type} wrap="truncate">
          <Text color={c.status === 'True' ? theme.ok : c.status === 'False' ? theme.danger : theme.muted}>{safe(c.status).padEnd(8)}</Text>
          {safe(c.type)}
          {c.reason ? <Text color={theme.muted}> {safe(c.reason)}</Text> : null}
          {c.message ? `: ${safe(c.message)}` : ''}
        </Text>
      ))}
      {error && <Text color={theme.danger}>refresh failed: {safe(error)}</Text>}
    </Box>
  );
}

/** Memoised: re-renders only when its props change. */
export const SandboxMetadataPane = memo(SandboxMetadataPaneView);
