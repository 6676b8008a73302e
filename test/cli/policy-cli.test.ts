// The CLI contract other tools depend on, exercised through the real binary.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';

let dir: string;
let policy: string;
let preset: string;

const POLICY = `version: 1
network_policies:
  github:
    name: github
    endpoints:
      - host: api.github.com
        port: 443
        protocol: rest
        enforcement: enforce
        access: read-only
    binaries:
      - path: /usr/bin/gh
`;

const PRESET = `preset:
  name: pypi-mirror
  description: Internal PyPI mirror
network_policies:
  pypi_mirror:
    name: pypi_mirror
    endpoints:
      - host: "*.pypi.example.com"
        port: 443
    binaries:
      - path: /usr/bin/pip
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ost-cli-'));
  policy = join(dir, 'policy.yaml');
  preset = join(dir, 'preset.yaml');
  writeFileSync(policy, POLICY);
  writeFileSync(preset, PRESET);
});

describe('help and usage errors', () => {
  it('--help lists every command', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['policy check', 'policy eval', 'policy explain']) expect(r.stdout).toContain(cmd);
  });
  it('<cmd> --help lists its flags', async () => {
    const r = await runCli(['policy', 'eval', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--policy FILE');
    expect(r.stdout).toContain('--preset FILE');
  });
  it('an unknown flag is exit 2 with a hint', async () => {
    const r = await runCli(['policy', 'eval', '--polcy', policy]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown flag --polcy (did you mean '--policy'?)");
  });
  it('an unknown command is exit 2 with a hint', async () => {
    const r = await runCli(['polcy', 'check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("did you mean 'policy'?");
  });
  it('a missing required flag is exit 2', async () => {
    const r = await runCli(['policy', 'eval'], '');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--policy is required');
  });
});

describe('policy check', () => {
  it('accepts both formats with a summary line each', async () => {
    const r = await runCli(['policy', 'check', policy, preset]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${policy}: ok — sandbox policy v1, 1 network policy, 1 endpoints\n${preset}: ok — preset 'pypi-mirror', 1 network policy, 1 endpoints\n`,
    );
  });
  it('rejects a bad file with FILE:LINE:COL lines on stderr', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, POLICY.replace('api.github.com', '"*.com"'));
    const r = await runCli(['policy', 'check', policy, bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${policy}: ok`);
    expect(r.stderr).toContain(`${bad}:6:15: network_policies.github.endpoints[0].host: TLD wildcard '*.com' is not allowed`);
  });
  it('a missing file and a 50 MB file are clear errors, no stack trace', async () => {
    const huge = join(dir, 'huge.yaml');
    writeFileSync(huge, Buffer.alloc(50 * 1024 * 1024, 0x61));
    const r = await runCli(['policy', 'check', join(dir, 'nope.yaml'), huge]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nope.yaml:1:1: cannot read file: ENOENT');
    expect(r.stderr).toContain('huge.yaml:1:1: file is 50.0 MiB; policy files are limited to 4.0 MiB');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('policy eval', () => {
  it('answers each line in order, per the contract', async () => {
    const lines = [
      { host: 'api.github.com', port: 443, binary: '/usr/bin/gh', method: 'GET', path: '/repos' },
      { host: 'api.github.com', port: 443, binary: '/usr/bin/gh', method: 'DELETE', path: '/repos/x' },
      { host: 'api.github.com', port: 443, binary: '/usr/bin/curl' },
      { host: 'files.pypi.example.com', port: 443, binary: '/usr/bin/pip', resolved_ips: ['10.1.1.1'] },
      { host: 'files.pypi.example.com', port: 443, binary: '/usr/bin/pip', resolved_ips: ['151.101.0.223'] },
      { host: 'evil.example.net', port: 443, binary: '/usr/bin/gh' },
    ];
    const input = `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{not json\n{"host":"x","port":0,"binary":"/b"}\n`;
    const r = await runCli(['policy', 'eval', '--policy', policy, '--preset', preset], input);
    expect(r.code).toBe(0);
    const out = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.map((d) => [d.outcome, d.policy, d.stage, d.audit])).toEqual([
      ['allow', 'github', 'l7', false],
      ['deny', 'github', 'l7', false],
      ['deny', null, 'no_match', false],
      ['deny', 'pypi_mirror', 'ssrf', false],
      ['allow', 'pypi_mirror', 'l4', false],
      ['deny', null, 'no_match', false],
      ['error', undefined, undefined, undefined],
      ['error', undefined, undefined, undefined],
    ]);
    // Exact key order of the contract.
    expect(Object.keys(out[0])).toEqual(['outcome', 'policy', 'stage', 'audit', 'reason']);
    expect(out[6].reason).toContain('invalid JSON');
    expect(out[7].reason).toContain("'port' must be an integer from 1 to 65535");
  });

  it('streams: an answer arrives before stdin closes', async () => {
    const child = spawn(process.execPath, [BIN, 'policy', 'eval', '--policy', policy]);
    const firstLine = new Promise<string>((resolve) => {
      let buf = '';
      child.stdout.setEncoding('utf8').on('data', (d) => {
        buf += d;
        if (buf.includes('\n')) resolve(buf.split('\n')[0]);
      });
    });
    child.stdin.write(`${JSON.stringify({ host: 'api.github.com', port: 443, binary: '/usr/bin/gh' })}\n`);
    expect(JSON.parse(await firstLine).outcome).toBe('allow');
    child.stdin.end();
    await new Promise((resolve) => child.on('close', resolve));
  });

  it('an invalid policy fails before reading input, with locations', async () => {
    const bad = join(dir, 'bad2.yaml');
    writeFileSync(bad, 'version: 2\nnetwork_policies: {}\n');
    const r = await runCli(['policy', 'eval', '--policy', bad], '');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:1:10: version: unsupported policy version 2; expected 1`);
  });
});

describe('policy explain', () => {
  it('prints the decision for a person; exit 0 allow, 1 deny', async () => {
    const allow = await runCli([
      'policy',
      'explain',
      '--policy',
      policy,
      '--host',
      'api.github.com',
      '--port',
      '443',
      '--binary',
      '/usr/bin/gh',
      '--method',
      'GET',
      '--path',
      '/user?x=1',
    ]);
    expect(allow.code).toBe(0);
    expect(allow.stdout).toContain('ALLOW  GET api.github.com:443/user?x=1');
    expect(allow.stdout).toContain('policy:  github');
    const deny = await runCli([
      'policy',
      'explain',
      '--policy',
      policy,
      '--host',
      'api.github.com',
      '--port',
      '443',
      '--binary',
      '/usr/bin/gh',
      '--method',
      'POST',
      '--path',
      '/user',
    ]);
    expect(deny.code).toBe(1);
    expect(deny.stdout).toContain('stage:   l7');
    expect(deny.stdout).toContain('POST /user not permitted by policy');
  });
  it('strips terminal control characters from what it echoes', async () => {
    const r = await runCli(['policy', 'explain', '--policy', policy, '--host', 'evil\u001b[2J.example.com', '--port', '443']);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('evil\uFFFD[2J.example.com');
  });
});
