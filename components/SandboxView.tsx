// The effective policy, each network_policies entry labelled with the layer it came from, and revisions.
import { memo } from 'react';
import { Box, Text } from 'ink';
import type { PolicyView, RevisionInfo } from '../src/gateway/gateway.js';
import type { DiffLine } from '../src/core/revisions/revision-diff.js';
import { safe } from './format.js';
import type { Theme } from './theme.js';

export interface SandboxViewProps {
  policy?: PolicyView;
  /** When comparing: revision N against the current one (undefined while it loads). */
  comparison?: { from: number; to: number; lines: DiffLine[] };
  /** The past revision being compared, while the comparison is asked for. */
  comparing?: number;
  revisions: RevisionInfo[];
  height: number;
  scroll: number;
  theme: Theme;
  error?: string;
}

/** Prefixes each top-level network_policies key line with its origin. */
export function labelledPolicyLines(policy: PolicyView): string[] {
  const lines = policy.yaml.split('\n');
  let inPolicies = false;
  return lines.map((line) => {
    if (/^network_policies:/.test(line)) inPolicies = true;
    else if (/^\S/.test(line)) inPolicies = false;
    const key = inPolicies ? /^ {2}([^\s:#][^:]*):\s*$/.exec(line)?.[1] : undefined;
    return key && policy.origins[key] ? `${line}   # ${policy.origins[key]}` : line;
  });
}

/** A window of a document's lines, each with its line number (its identity: lines repeat, numbers do not). */
function numbered<T>(lines: T[], from: number, count: number): Array<{ line: T; number: number }> {
  return lines.slice(from, from + count).map((line, offset) => ({ line, number: from + offset }));
}

function SandboxViewView({ policy, comparison, comparing, revisions, height, scroll, theme, error }: SandboxViewProps) {
  if (error) return <Text color={theme.danger}>{error}</Text>;
  if (comparing !== undefined && !comparison)
    return <Text color={theme.muted}>Comparing revision {comparing} with the current policy…</Text>;
  if (comparison) {
    const changed = comparison.lines.filter((l) => l.kind !== 'same').length;
    return (
      <Box flexDirection="column">
        <Text bold color={theme.accent}>
          Revision {comparison.from} → {comparison.to} <Text color={theme.muted}>({changed} changed lines; Esc returns)</Text>
        </Text>
        {numbered(comparison.lines, scroll, Math.max(3, height - 1)).map(({ line: l, number }) => (
          <Text key={number} wrap="truncate" color={l.kind === 'added' ? theme.ok : l.kind === 'removed' ? theme.danger : theme.muted}>
            {l.kind === 'added' ? '+ ' : l.kind === 'removed' ? '- ' : '  '}
            {l.text}
          </Text>
        ))}
      </Box>
    );
  }
  if (!policy) return <Text color={theme.muted}>Loading the effective policy…</Text>;
  const lines = labelledPolicyLines(policy);
  const warnings = policy.warnings ?? [];
  const shownWarnings = warnings.slice(0, 3);
  const bodyHeight = Math.max(3, height - Math.min(revisions.length, 6) - 3 - shownWarnings.length - (warnings.length > 3 ? 1 : 0));
  return (
    <Box flexDirection="column">
      <Text bold color={theme.accent}>
        Effective policy — revision {policy.revision.number} <Text color={theme.muted}>sha256:{policy.revision.sha256.slice(0, 12)}</Text>
      </Text>
      {shownWarnings.map((w) => (
        <Text key={w} wrap="truncate" color={theme.warn}>
          ! {safe(w)}
        </Text>
      ))}
      {warnings.length > 3 && <Text color={theme.warn}>! and {warnings.length - 3} more (the logs screen has them all: :kind policy)</Text>}
      {numbered(lines, scroll, bodyHeight).map(({ line, number }) => (
        <Text key={number} wrap="truncate">
          {line}
        </Text>
      ))}
      <Text bold color={theme.accent}>
        Revisions
      </Text>
      {revisions
        .slice(-6)
        .reverse()
        .map((r) => (
          <Text key={r.number} wrap="truncate">
            <Text color={theme.accent}>{String(r.number).padStart(4)}</Text> {new Date(r.time).toISOString().slice(11, 19)}{' '}
            <Text color={theme.muted}>{r.sha256.slice(0, 10)}</Text> {r.cause}: {r.detail}
          </Text>
        ))}
    </Box>
  );
}

/** Memoised: re-renders only when its props change (not on every unrelated store flush). */
export const SandboxView = memo(SandboxViewView);
