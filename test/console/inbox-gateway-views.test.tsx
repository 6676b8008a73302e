// The inbox's gateway views drawn alone (ink-testing-library): badges in the rows, the approve-all dialog
// with what it approves and skips and why, the never-drafted list, the edit form with its error.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { ApproveAllDialog } from '../../components/ApproveAllDialog.js';
import { EditChunkDialog } from '../../components/EditChunkDialog.js';
import { InboxTable } from '../../components/InboxTable.js';
import { resolveTheme } from '../../components/theme.js';
import { UndraftablePanel } from '../../components/UndraftablePanel.js';
import type { InboxRequest } from '../../src/gateway/gateway.js';

const theme = resolveTheme('dark', {});
const now = Date.now();
const row = (id: string, over: Partial<InboxRequest> = {}): InboxRequest => ({
  id,
  host: `${id.split('/')[1]}.test`,
  port: 443,
  binary: '/usr/bin/curl',
  firstSeen: now - 5000,
  lastSeen: now,
  hits: 1,
  samples: [],
  status: 'pending',
  held: 0,
  reason: 'no rule',
  sandbox: 'agent',
  ...over,
});
const proposal = (over: Partial<NonNullable<InboxRequest['proposal']>> = {}) => ({
  ruleName: 'r',
  rule: { endpoints: [], binaries: [] },
  securityNotes: '',
  validationResult: '',
  applicationError: '',
  ...over,
});
const draw = (node: React.ReactElement) => {
  const { lastFrame, unmount } = render(node);
  const frame = lastFrame() ?? '';
  unmount();
  return frame;
};

describe('inbox rows', () => {
  it('carry the verdict, the flag, the guidance, and awaiting proposal, in the list itself', () => {
    const rows = [
      row('agent/auto', { status: 'approved', proposal: proposal({ annotation: { kind: 'auto-approved', label: 'x', detail: 'y' } }) }),
      row('agent/review', {
        proposal: proposal({ annotation: { kind: 'review-required', label: 'x', detail: 'y' }, securityNotes: 'db port' }),
      }),
      row('agent/gone', { status: 'rejected', proposal: proposal({ guidance: 'docs only' }) }),
      row('agent/~d1', { awaitingProposal: true }),
    ];
    const frame = draw(<InboxTable rows={rows} height={8} width={100} now={now} total={4} theme={theme} />);
    expect(frame).toMatch(/approved ✓auto/);
    expect(frame).toMatch(/pending !review ⚠flagged/);
    expect(frame).toMatch(/rejected ↩guidance/);
    expect(frame).toMatch(/awaiting proposal/);
  });
});

describe('the approve-all dialog', () => {
  it('lists each it approves, then each it skips with why, and the keys', () => {
    const frame = draw(
      <ApproveAllDialog
        approve={[{ id: 'agent/c1', subject: 'a.test:443', sandbox: 'agent' }]}
        skip={[
          { id: 'agent/c2', subject: 'db.test:5432', sandbox: 'agent', why: 'security-flagged' },
          { id: 'agent/c3', subject: 'old.test:443', sandbox: 'agent', why: 'stale' },
          { id: 'agent/~d1', subject: 'new.test:443', sandbox: 'agent', why: 'awaiting-proposal' },
        ]}
        how="one policy revision"
        height={14}
        width={100}
        theme={theme}
      />,
    );
    expect(frame).toContain('Approve 1 of 4 visible pending requests (one policy revision); skip 3?');
    expect(frame).toMatch(/✓ a\.test:443 +agent +agent\/c1/);
    expect(frame).toMatch(/– db\.test:5432 +security-flagged: review it on its own/);
    expect(frame).toMatch(/– old\.test:443 +stale/);
    expect(frame).toMatch(/– new\.test:443 +awaiting proposal/);
    expect(frame).toMatch(/y approve these \/ Esc no/);
  });

  it('a long list is cut to the room it has, saying how many more', () => {
    const approve = Array.from({ length: 30 }, (_, i) => ({ id: `agent/c${i}`, subject: `h${i}.test:443`, sandbox: 'agent' }));
    const frame = draw(<ApproveAllDialog approve={approve} skip={[]} how="session" height={10} width={100} theme={theme} />);
    expect(frame).toContain('Approve all 30 visible pending requests (session)?');
    expect(frame).toMatch(/… and 25 more/);
    expect(frame.split('\n').length).toBeLessThanOrEqual(10);
  });
});

describe('beside the inbox', () => {
  it('denials never drafted, with why and how often', () => {
    const frame = draw(
      <UndraftablePanel
        denials={[
          {
            sandbox: 'agent',
            host: 'db.corp.test',
            port: 5432,
            process: 'psql',
            kind: 'allowed-ips-drift',
            why: 'resolved outside its allowed_ips',
            at: 1,
            count: 3,
          },
        ]}
        height={3}
        width={100}
        theme={theme}
      />,
    );
    expect(frame).toContain('Denied, never drafted (1)');
    expect(frame).toContain('db.corp.test:5432 psql ×3 agent · allowed_ips drift: resolved outside its allowed_ips');
  });
});

describe('the edit form', () => {
  it('shows the fields, the focused one, and what is wrong', () => {
    const values = { ports: '8443', binaries: '/usr/bin/curl', paths: '/v1/**', allowedIps: '' };
    const frame = draw(
      <EditChunkDialog
        requestLabel="agent/c1 a.test:443"
        edit={{ requestId: 'agent/c1', values, initial: { ...values, ports: '443' }, focus: 0 }}
        error="port 8443 is not in the proposal for a.test"
        theme={theme}
      />,
    );
    expect(frame).toContain('Narrow agent/c1 a.test:443');
    expect(frame).toMatch(/› ports +8443/);
    expect(frame).toContain('allowed_ips');
    expect(frame).toContain('✗ port 8443 is not in the proposal for a.test');
  });
});
