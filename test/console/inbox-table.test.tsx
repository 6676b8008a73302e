// The inbox table fits the terminal whatever the ids look like (gateway chunk ids are long: sandbox/uuid),
// dropping the least needed columns on narrow terminals rather than wrapping rows.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { InboxTable } from '../../components/InboxTable.js';
import { resolveTheme } from '../../components/theme.js';
import type { InboxRequest } from '../../src/gateway/gateway.js';

const now = Date.now();
const row = (i: number): InboxRequest => ({
  id: `build-box-eu-west-1/6f1c2a9e-0b7d-4c1e-9a3f-${String(i).padStart(12, '0')}`,
  host: `very-long-internal-service-name-${i}.svc.cluster.local`,
  port: 8443,
  binary: '/opt/agents/bin/claude-code-runner',
  firstSeen: now - 5000,
  lastSeen: now,
  hits: 1234,
  samples: [{ method: 'POST', path: '/v1/projects/12345/locations/us-central1/endpoints:predict' }],
  status: 'pending',
  held: 0,
  reason: 'no rule',
  sandbox: 'build-box-eu-west-1',
});

describe('inbox table width', () => {
  // (ink-testing-library's terminal is 100 columns wide.)
  for (const width of [64, 72, 80, 100]) {
    it(`every line fits in ${width} columns`, () => {
      const rows = [row(1), row(2)];
      const { lastFrame, unmount } = render(
        <InboxTable rows={rows} selectedId={rows[0].id} height={5} width={width} now={now} total={2} theme={resolveTheme('dark', {})} />,
      );
      const lines = (lastFrame() ?? '').split('\n');
      unmount();
      expect(lines.length).toBe(2 * 2 + 3 + 1); // 2 rows, header, borders, position line: nothing wrapped
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(width);
      expect(lines[0].startsWith('┌')).toBe(true);
      expect(lines.join('\n')).toContain('destination');
    });
  }

  it('keeps sandbox, age and hits when there is room', () => {
    const short = { ...row(1), id: 'local/r1', host: 'pypi.org', sandbox: 'local', binary: '/usr/bin/curl' };
    const { lastFrame, unmount } = render(
      <InboxTable rows={[short]} selectedId={undefined} height={5} width={100} now={now} total={1} theme={resolveTheme('dark', {})} />,
    );
    const frame = lastFrame() ?? '';
    unmount();
    for (const header of ['sandbox', 'age', 'hits', 'binary', 'status']) expect(frame).toContain(header);
  });
});
