// Every field of one request, its L7 samples, why it was stopped, and exactly what approving would add
// (as policy YAML) — compact enough to fit an 80×24 terminal.
import { memo } from 'react';
import { Box, Text } from 'ink';
import { stringify } from 'yaml';
import { sanitizeMultiline } from '../src/core/text/sanitize.js';
import type { InboxRequest } from '../src/gateway/gateway.js';
import { failureSummary, rowStatus } from '../src/store/ui/request-status.js';
import { age, safe } from './format.js';
import type { Theme } from './theme.js';

/**
 * The policy entry approving adds, as YAML with lists in flow style to keep it short: what the adapter
 * says approving adds (a core's session approval, a gateway's proposed rule); the UI does not guess it.
 */
export function approvalYaml(r: InboxRequest): string {
  if (!r.proposal) return '(the gateway does not say)';
  const key = r.proposal.ruleName;
  const rule = r.proposal.rule;
  const flow = (v: unknown) => stringify(v, { collectionStyle: 'flow' }).trim();
  return [
    'network_policies:',
    `  ${key}:`,
    ...(rule.name ? [`    name: ${rule.name}`] : []),
    `    endpoints: ${flow(rule.endpoints)}`,
    `    binaries: ${flow(rule.binaries)}`,
  ].join('\n');
}

export interface RequestDetailProps {
  request: InboxRequest;
  now: number;
  /** Approving makes a new policy revision on the gateway (else: a session approval on the core). */
  revisionApproval: boolean;
  theme: Theme;
}

function RequestDetailView({ request: r, now, revisionApproval, theme }: RequestDetailProps) {
  const failure = failureSummary(r);
  const field = (label: string, value: string) => (
    <Text wrap="truncate">
      <Text color={theme.muted}>{label.padEnd(12)}</Text>
      {safe(value)}
    </Text>
  );
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.border} paddingX={1}>
      <Text>
        <Text bold color={theme.accent}>
          Request {r.id}
        </Text>
        <Text color={theme.muted}> (Esc closes; a r u p act here too)</Text>
      </Text>
      {field('destination', `${r.host}:${r.port}  in sandbox ${r.sandbox}`)}
      {field('binary', r.binary + (r.pid ? ` (pid ${r.pid})` : ''))}
      {field(
        'status',
        (rowStatus(r) === 'timedout' ? 'pending (a held connection timed out)' : r.status) +
          (r.decidedBy ? ` by ${r.decidedBy}` : '') +
          (r.decisionNote ? ` (${r.decisionNote})` : '') +
          (r.held > 0 ? `, ${r.held} held` : ''),
      )}
      {field('hits', `${r.hits} (first ${age(r.firstSeen, now)} ago, last ${age(r.lastSeen, now)} ago)`)}
      {field('why', r.reason)}
      {failure ? (
        <>
          <Text wrap="wrap" color={theme.danger}>
            <Text color={theme.muted}>{'error'.padEnd(12)}</Text>
            {safe(failure.what)}
          </Text>
          {failure.fix ? (
            <Text wrap="wrap">
              <Text color={theme.muted}>{'fix'.padEnd(12)}</Text>
              {safe(failure.fix)}
            </Text>
          ) : null}
        </>
      ) : null}
      <Text color={theme.muted}>L7 samples</Text>
      {r.samples.length === 0 ? (
        <Text> (none: a tunnel, or not yet inspected)</Text>
      ) : (
        r.samples.map((s) => (
          <Text key={`${s.method} ${s.path} ${s.operation ?? ''}`} wrap="truncate">
            {' '}
            {safe(`${s.method} ${s.path}${s.operation ? ` · ${s.operation}` : ''}`)}
          </Text>
        ))
      )}
      {r.awaitingProposal ? field('proposal', 'awaiting: the gateway has not drafted one yet (upgraded here when it does)') : null}
      {r.proposal?.annotation ? field(r.proposal.annotation.label, r.proposal.annotation.detail) : null}
      {r.proposal?.guidance ? field('guidance', r.proposal.guidance) : null}
      {r.proposal?.securityNotes ? field('security', r.proposal.securityNotes) : null}
      {r.proposal?.validationResult ? field('validation', r.proposal.validationResult) : null}
      {r.proposal?.applicationError ? field('not applicable', r.proposal.applicationError) : null}
      <Text color={theme.muted}>
        {revisionApproval ? 'approving adds (a new policy revision on the gateway)' : 'approving adds (this session only)'}
      </Text>
      <Text>{sanitizeMultiline(approvalYaml(r))}</Text>
    </Box>
  );
}

/** Memoised: re-renders only when its props change (not on every unrelated store flush). */
export const RequestDetail = memo(RequestDetailView);
