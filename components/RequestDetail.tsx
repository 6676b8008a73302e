// Every field of one request, its L7 samples, why it was stopped, and exactly what approving would add
// (as policy YAML) — compact enough to fit an 80×24 terminal.
import { memo } from 'react';
import { Box, Text } from 'ink';
import { stringify } from 'yaml';
import { approvalKey, approvalRule } from '../src/core/approvals/session-approvals.js';
import { sanitizeMultiline } from '../src/core/text/sanitize.js';
import type { InboxRequest } from '../src/gateway/gateway.js';
import { age, safe } from './format.js';
import type { Theme } from './theme.js';

/**
 * The policy entry approving adds, as YAML with lists in flow style to keep it short: a session
 * approval here, or the rule a gateway proposes (its draft chunk) there.
 */
export function approvalYaml(r: InboxRequest, now: number): string {
  const key = r.proposal ? r.proposal.ruleName : approvalKey(r.id);
  const rule =
    r.proposal?.rule ?? approvalRule({ requestId: r.id, host: r.host, port: r.port, binary: r.binary, approvedAt: now, by: 'operator' });
  const flow = (v: unknown) => stringify(v, { collectionStyle: 'flow' }).trim();
  return [
    'network_policies:',
    `  ${key}:`,
    ...(rule.name ? [`    name: ${rule.name}`] : []),
    `    endpoints: ${flow(rule.endpoints)}`,
    `    binaries: ${flow(rule.binaries)}`,
  ].join('\n');
}

function RequestDetailView({ request: r, now, theme }: { request: InboxRequest; now: number; theme: Theme }) {
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
        <Text color={theme.muted}> (Esc closes)</Text>
      </Text>
      {field('destination', `${r.host}:${r.port}  in sandbox ${r.sandbox}`)}
      {field('binary', r.binary + (r.pid ? ` (pid ${r.pid})` : ''))}
      {field(
        'status',
        r.status +
          (r.decidedBy ? ` by ${r.decidedBy}` : '') +
          (r.decisionNote ? ` (${r.decisionNote})` : '') +
          (r.held > 0 ? `, ${r.held} held` : ''),
      )}
      {field('hits', `${r.hits} (first ${age(r.firstSeen, now)} ago, last ${age(r.lastSeen, now)} ago)`)}
      {field('why', r.reason)}
      <Text color={theme.muted}>L7 samples</Text>
      {r.samples.length === 0 ? (
        <Text> (none: a tunnel, or not yet inspected)</Text>
      ) : (
        r.samples.map((s, i) => (
          <Text key={i} wrap="truncate">
            {' '}
            {safe(`${s.method} ${s.path}`)}
          </Text>
        ))
      )}
      {r.proposal?.securityNotes ? field('security', r.proposal.securityNotes) : null}
      {r.proposal?.validationResult ? field('validation', r.proposal.validationResult) : null}
      {r.proposal?.applicationError ? field('not applicable', r.proposal.applicationError) : null}
      <Text color={theme.muted}>
        {r.proposal ? 'approving adds (a new policy revision on the gateway)' : 'approving adds (this session only)'}
      </Text>
      <Text>{sanitizeMultiline(approvalYaml(r, now))}</Text>
    </Box>
  );
}

/** Memoised: re-renders only when its props change (not on every unrelated store flush). */
export const RequestDetail = memo(RequestDetailView);
