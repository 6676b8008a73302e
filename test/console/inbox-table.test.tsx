// The inbox table: one line per request that fits the terminal whatever the ids look like (gateway chunk
// ids are long: sandbox/uuid), status by symbol and colour, the method coloured, the selection a
// full-width highlighted row, the path cut before the destination (whose port always stays).
import chalk from 'chalk';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmptyInbox } from '../../components/EmptyInbox.js';
import { InboxTable } from '../../components/InboxTable.js';
import { resolveTheme } from '../../components/theme.js';
import type { InboxRequest } from '../../src/gateway/gateway.js';
import { onboardingFor } from '../../src/store/ui/onboarding.js';

const now = Date.now();
const dark = resolveTheme('dark', {});
const SGR = /\u001b\[[0-9;]*m/g;
const plain = (s: string) => s.replace(SGR, '');

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
  sandbox: i % 2 ? 'build-box-eu-west-1' : 'other',
});

const short = (over: Partial<InboxRequest>): InboxRequest => ({
  ...row(1),
  id: 'r1',
  host: 'pypi.org',
  port: 443,
  sandbox: 'local',
  binary: '/usr/bin/curl',
  hits: 1,
  samples: [{ method: 'GET', path: '/simple/' }],
  ...over,
});

function frame(rows: InboxRequest[], width: number, selectedId?: string, theme = dark): string[] {
  const { lastFrame, unmount } = render(
    <InboxTable rows={rows} selectedId={selectedId} height={10} width={width} now={now} total={rows.length} theme={theme} />,
  );
  const out = lastFrame() ?? '';
  unmount();
  return out.split('\n');
}

describe('inbox table width', () => {
  // (ink-testing-library's terminal is 100 columns wide.)
  for (const width of [64, 72, 80, 100]) {
    it(`every line fits in ${width} columns, one line per request`, () => {
      const rows = [row(1), row(2)];
      const lines = frame(rows, width, rows[0].id).map(plain);
      expect(lines.length).toBe(1 + 2 + 1); // header, 2 rows, position line: nothing wrapped
      for (const line of lines) expect([...line].length).toBeLessThanOrEqual(width);
      expect(lines[0]).toContain('destination');
      // The port survives however long the host: the host loses its middle.
      expect(lines[1]).toMatch(/very-.*…\S*:8443 /);
    });
  }

  it('keeps sandbox, age and hits when there is room', () => {
    const lines = frame([short({})], 100);
    for (const header of ['sandbox', 'age', 'hits', 'binary', 'status']) expect(lines[0]).toContain(header);
  });

  it('cuts the path before the destination', () => {
    const long = short({ host: 'registry.npmjs.org', samples: [{ method: 'GET', path: `/${'x'.repeat(200)}` }] });
    const line = plain(frame([long], 80)[1]);
    expect(line).toContain('registry.npmjs.org:443');
    expect(line).toMatch(/GET \/x+…/);
  });
});

describe('inbox table meaning', () => {
  // The test runner is not a terminal: ask chalk (Ink's colours) for the basic 16 colours, as a terminal would get.
  const level = chalk.level;
  beforeAll(() => {
    chalk.level = 1;
  });
  afterAll(() => {
    chalk.level = level;
  });
  const rows: InboxRequest[] = [
    short({ id: 'r6', held: 1, holdDeadline: now + 19_000 }),
    short({ id: 'r5', status: 'approved', decidedAt: now - 10, expiresAt: now + 9 * 60_000, samples: [{ method: 'POST', path: '/x' }] }),
    short({ id: 'r4', status: 'rejected', decidedAt: now - 10, samples: [{ method: 'DELETE', path: '/x' }] }),
    short({ id: 'r3', timedOutAt: now - 10 }),
    short({
      id: 'r2',
      status: 'approved',
      decidedAt: now - 100,
      failure: { kind: 'upstream', time: now - 10, cause: 'refused', status: 502 },
    }),
    short({ id: 'r1' }),
  ];

  it('says each status in words and by symbol', () => {
    const text = frame(rows, 100, 'r1').map(plain).join('\n');
    for (const s of ['◐ held 19s', '✓ approved 9m', '✗ rejected', '◌ timed out', '! error 502', '● pending']) expect(text).toContain(s);
  });

  it('colours statuses and methods (SGR codes), and highlights the selection across the row', () => {
    const lines = frame(rows, 100, 'r4');
    const colour = (code: number, text: string) =>
      new RegExp(`\\u001b\\[${code}m(\\u001b\\[1m)?${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
    expect(lines[1]).toMatch(colour(33, '◐ held')); // yellow
    expect(lines[2]).toMatch(colour(32, '✓ approved')); // green
    expect(lines[2]).toMatch(colour(35, 'POST')); // warm
    expect(lines[4]).toMatch(colour(33, '◌ timed out'));
    expect(lines[5]).toMatch(colour(31, '! error')); // red
    expect(lines[6]).toMatch(colour(34, 'GET')); // calm (blue)
    // The selected row (r4): a blue background from its first column to its last, the method not coloured away.
    const selected = lines[3];
    expect(selected).toContain('\u001b[44m');
    expect(plain(selected).startsWith('▌✗ rejected')).toBe(true);
    expect(plain(selected).trimEnd().endsWith('local')).toBe(true);
    expect(selected).not.toMatch(colour(31, 'DELETE'));
    // Unselected rows have no background.
    expect(lines[1]).not.toContain('\u001b[44m');
  });

  it('without colour (NO_COLOR) the statuses still read by symbol and the selection is inverse', () => {
    const lines = frame(rows, 100, 'r4', resolveTheme('dark', { NO_COLOR: '1' }));
    expect(lines.join('\n')).not.toMatch(/\u001b\[3[0-7]m/);
    expect(lines[3]).toContain('\u001b[7m');
    expect(plain(lines[3])).toContain('✗ rejected');
  });

  it('shows an L7 badge where the entry has one', () => {
    const mcp = short({ samples: [{ method: 'POST', path: '/mcp', badge: 'MCP tools/call search' }] });
    expect(plain(frame([mcp], 100)[1])).toContain('POST [MCP tools/call search] /mcp');
  });
});

describe('the empty inbox teaches', () => {
  const info = { name: 'embedded', mode: 'standalone' as const, endpoint: 'proxy 127.0.0.1:3128', version: '' };

  it('a local core: its proxy, the run command, a curl to try (from the gateway facts)', () => {
    const onboarding = onboardingFor({ ...info, agents: { proxy: '127.0.0.1:39999', stateDir: '/tmp/s d' } }, '/home/x/.state');
    const { lastFrame, unmount } = render(<EmptyInbox onboarding={onboarding} theme={dark} />);
    const text = plain(lastFrame() ?? '');
    unmount();
    expect(text).toContain('No requests yet');
    expect(text).toContain('http://127.0.0.1:39999');
    expect(text).toContain("openshell-term run --state-dir '/tmp/s d' -- <agent>");
    expect(text).toContain('curl -x http://127.0.0.1:39999 https://example.com');
  });

  it('the default state dir is not spelled out; a wildcard listener is dialled on loopback', () => {
    const onboarding = onboardingFor({ ...info, agents: { proxy: '0.0.0.0:3128', stateDir: '/d' } }, '/d');
    const commands = onboarding.steps.map((s) => s.command);
    expect(commands).toContain('openshell-term run -- <agent>');
    expect(commands).toContain('curl -x http://127.0.0.1:3128 https://example.com');
  });

  it('a gRPC gateway says what applies to it (no local proxy to point at)', () => {
    const onboarding = onboardingFor({ name: 'prod', mode: 'remote', endpoint: 'https://gw.example:8080', version: '' }, '/d');
    const text = JSON.stringify(onboarding);
    expect(text).toContain('https://gw.example:8080');
    expect(text).toContain('sandboxes');
    expect(text).not.toContain('curl -x');
  });
});
