// An inbox entry for one L7 operation (an MCP tool no rule lists) reads as that operation: the table's
// request column names the tool rather than "POST /mcp", the detail lists it beside the sample, and what
// approving adds is a rule for exactly that tool on an MCP endpoint, never a bare host:port.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { InboxTable } from '../../components/InboxTable.js';
import { RequestDetail } from '../../components/RequestDetail.js';
import { resolveTheme } from '../../components/theme.js';
import type { InboxRequest } from '../../src/gateway/gateway.js';
import { withSessionProposal } from '../../src/gateway/session-proposal.js';

const now = Date.now();
const entry: InboxRequest = withSessionProposal({
  id: 'r7',
  host: 'mcp.example.com',
  port: 443,
  binary: '/usr/bin/agent',
  firstSeen: now - 1000,
  lastSeen: now,
  hits: 1,
  samples: [{ method: 'POST', path: '/mcp', operation: "MCP tools/call tool 'write_file'" }],
  operation: { kind: 'mcp', method: 'tools/call', tool: 'write_file' },
  operationPath: '/mcp',
  status: 'pending',
  held: 0,
  reason: "POST /mcp: MCP tools/call tool 'write_file' not permitted by policy",
  sandbox: 'local',
});
const theme = resolveTheme('dark', {});

describe('an L7 operation entry in the console', () => {
  it('the table names the tool (not POST /mcp)', () => {
    const { lastFrame, unmount } = render(
      <InboxTable rows={[entry]} selectedId="r7" height={5} width={100} now={now} total={1} theme={theme} />,
    );
    const frame = lastFrame() ?? '';
    unmount();
    expect(frame).toContain('tool write_file');
  });

  it('the detail shows the sample with its operation, and approving adds a rule for exactly that tool', () => {
    const { lastFrame, unmount } = render(<RequestDetail request={entry} now={now} revisionApproval={false} theme={theme} />);
    const frame = lastFrame() ?? '';
    unmount();
    expect(frame).toContain("POST /mcp · MCP tools/call tool 'write_file'");
    expect(frame).toContain('protocol: mcp');
    expect(frame).toMatch(/tool: write_file/);
  });
});
