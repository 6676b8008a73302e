// The extended `policy eval` contract through the real binary: headers and body decide body protocols,
// the method is the token as sent, every inspected answer says stage "l7", an admission says "l4", and
// `policy check` prints the warnings of a policy the core would otherwise weaken (exit codes unchanged).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let policy: string;
let weak: string;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'ost-eval-contract-'));
  policy = join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    `version: 1
network_policies:
  tools:
    endpoints:
      - host: mcp.test
        port: 8000
        path: /mcp
        protocol: mcp
        enforcement: enforce
        rules:
          - allow: {method: initialize}
          - allow: {method: tools/list}
          - allow: {method: tools/call, tool: read_status}
        deny_rules:
          - {method: tools/call, tool: delete_everything}
    binaries:
      - path: /usr/bin/agent
`,
  );
  weak = join(dir, 'weak.yaml');
  writeFileSync(
    weak,
    `version: 1
network_policies:
  w:
    endpoints:
      - {host: a.test, port: 443, protocol: rest, enforcement: Enforce, access: read-only}
      - {host: db.test, port: 5432, protocol: sql, access: full}
    binaries:
      - path: /usr/bin/agent
`,
  );
});

const call = (tool: string) =>
  JSON.stringify({
    host: 'mcp.test',
    port: 8000,
    binary: '/usr/bin/agent',
    method: 'POST',
    path: '/mcp',
    headers: { 'MCP-Protocol-Version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: {} } }),
  });

describe('policy eval, extended contract', () => {
  it('decides MCP tool calls from headers and body, in order, with stage l7', async () => {
    const lines = [
      call('read_status'),
      call('delete_everything'),
      call('unlisted_tool'),
      JSON.stringify({ host: 'mcp.test', port: 8000, binary: '/usr/bin/agent' }),
      JSON.stringify({ host: 'mcp.test', port: 8000, binary: '/usr/bin/agent', method: 'post', path: '/mcp', body: '{}' }),
      JSON.stringify({ host: 'mcp.test', port: 8000, binary: '/usr/bin/agent', method: 'POST', path: '/mcp', headers: { Host: 'x' } }),
    ];
    const r = await runCli(['policy', 'eval', '--l7', '--policy', policy], `${lines.join('\n')}\n`);
    expect(r.code).toBe(0);
    const out = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out[0]).toMatchObject({ outcome: 'allow', stage: 'l7', l7: { kind: 'mcp', method: 'tools/call', tool: 'read_status' } });
    expect(out[1]).toMatchObject({ outcome: 'deny', stage: 'l7', reason: expect.stringContaining('blocked by deny rule') });
    expect(out[1].pendable).toBeUndefined();
    expect(out[2]).toMatchObject({ outcome: 'deny', stage: 'l7', pendable: true, l7: { tool: 'unlisted_tool' } });
    expect(out[3]).toMatchObject({ outcome: 'allow', stage: 'l4' });
    expect(out[4]).toMatchObject({ outcome: 'deny', stage: 'l7' });
    expect(out[5]).toMatchObject({ outcome: 'error', reason: expect.stringContaining('must not carry Host') });
  });

  it('keeps the five contract keys without --l7', async () => {
    const r = await runCli(['policy', 'eval', '--policy', policy], `${call('read_status')}\n`);
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(['outcome', 'policy', 'stage', 'audit', 'reason']);
  });
});

describe('policy check warnings', () => {
  it('prints what the core would otherwise weaken, and still exits 0', async () => {
    const r = await runCli(['policy', 'check', weak]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/weak\.yaml:5:\d+: warning: .*enforcement 'Enforce' is enforced here/);
    expect(r.stderr).toContain('protocol sql is audit-only');
  });
});
