// Every field of one request, its L7 samples, why it was stopped, and exactly what approving would add.
import { Box, Text } from 'ink';
import { stringify } from 'yaml';
import { approvalKey, approvalRule } from '../src/core/approvals/session-approvals.js';
import type { InboxRequest } from '../src/gateway/gateway.js';
import { age, safe } from './format.js';
import { sanitizeMultiline } from '../src/core/text/sanitize.js';
import type { Theme } from './theme.js';

export function RequestDetail({ request: r, now, theme }: { request: InboxRequest; now: number; theme: Theme }) {
  const wouldAdd = stringify({ network_policies: { [approvalKey(r.id)]: approvalRule({ requestId: r.id, host: r.host, port: r.port, binary: r.binary, approvedAt: now, by: 'operator' }) } });
  const field = (label: string, value: string) => (
    <Text>
      <Text color={theme.muted}>{label.padEnd(12)}</Text>
      {safe(value)}
    </Text>
  );
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={theme.border} paddingX={1}>
      <Text bold color={theme.accent}>Request {r.id}</Text>
      {field('destination', `${r.host}:${r.port}`)}
      {field('binary', r.binary + (r.pid ? ` (pid ${r.pid})` : ''))}
      {field('sandbox', r.sandbox)}
      {field('status', r.status + (r.decidedBy ? ` by ${r.decidedBy}` : '') + (r.decisionNote ? ` (${r.decisionNote})` : ''))}
      {field('hits', `${r.hits} (first ${age(r.firstSeen, now)} ago, last ${age(r.lastSeen, now)} ago)`)}
      {field('held', r.held > 0 ? `${r.held} connection(s) waiting` : 'none')}
      {field('why', r.reason)}
      <Text color={theme.muted}>L7 samples</Text>
      {r.samples.length === 0 ? <Text>  (none: a tunnel, or not yet inspected)</Text> : r.samples.map((s, i) => <Text key={i}>  {safe(`${s.method} ${s.path}`)}</Text>)}
      <Text color={theme.muted}>approving adds (session only)</Text>
      <Text>{sanitizeMultiline(wouldAdd.trimEnd())}</Text>
      <Text color={theme.muted}>Esc closes</Text>
    </Box>
  );
}
