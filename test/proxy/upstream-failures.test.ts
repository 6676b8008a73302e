// Failures after an allow are not denials: an allowed host that does not resolve, refuses, resets, never
// answers, cannot be connected to in time or presents a bad certificate gets a 502 or 504 with the cause
// in a JSON body, a core log line and an audit record that says it failed, on plain HTTP, CONNECT tunnels
// and inspected tunnels alike, over real sockets. The destination guard still refuses metadata and
// link-local addresses with --allow-loopback on.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../src/core/tls/certificate-authority.js';
import { startRawUpstream, type RawUpstream } from './support/raw-upstream.js';
import { startProxyHarness, type ProxyHarness } from './support/proxy-harness.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let harness: ProxyHarness;
let deadPort: number;
let resetting: Server;
let silent: Server;
let blackhole: ChildProcess;
let blackholePort: number;
let rogue: RawUpstream;
let rogueDir: string;

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

/** A listener whose accept queue is full: connection attempts to it hang (the kernel drops their SYNs). */
function startBlackhole(): Promise<number> {
  const script = [
    'import socket, time',
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0); port = s.getsockname()[1]",
    'fill = []',
    'for _ in range(4):',
    "    c = socket.socket(); c.setblocking(False); c.connect_ex(('127.0.0.1', port)); fill.append(c)",
    'print(port, flush=True)',
    'time.sleep(120)',
  ].join('\n');
  blackhole = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => blackhole.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
}

const endpoints = () => [
  { host: 'nowhere.invalid', port: 80 },
  { host: 'nowhere.invalid', port: 443 },
  { host: 'dead.test', port: deadPort },
  { host: 'reset.test', port: (resetting.address() as AddressInfo).port },
  { host: 'silent.test', port: (silent.address() as AddressInfo).port },
  { host: 'blackhole.test', port: blackholePort },
  { host: 'metadata.test', port: 80 },
  { host: 'linklocal.test', port: 80 },
  { host: 'loopback.test', port: deadPort },
];

beforeAll(async () => {
  const probe = createServer();
  deadPort = await listen(probe);
  await new Promise<void>((r) => probe.close(() => r()));
  resetting = createServer((s) => s.once('data', () => s.resetAndDestroy()));
  await listen(resetting);
  silent = createServer((s) => s.on('data', () => {}));
  await listen(silent);
  blackholePort = await startBlackhole();
  rogueDir = mkdtempSync(join(tmpdir(), 'ost-rogue-ca-'));
  const rogueCa = await CertificateAuthority.loadOrCreate(rogueDir);
  rogue = await startRawUpstream({ tls: (name) => rogueCa.secureContextFor(name) });
  harness = await startProxyHarness({
    policy: {
      version: 1,
      network_policies: {
        plain: { name: 'plain', endpoints: endpoints(), binaries: [{ path: '**' }] },
        inspected: {
          name: 'inspected',
          endpoints: [{ host: 'rogue.test', port: rogue.port, protocol: 'rest', enforcement: 'enforce', access: 'read-only' }],
          binaries: [{ path: '**' }],
        },
      },
    },
    resolve: [
      'dead.test:127.0.0.1',
      'reset.test:127.0.0.1',
      'silent.test:127.0.0.1',
      'blackhole.test:127.0.0.1',
      'rogue.test:127.0.0.1',
      'metadata.test:169.254.169.254',
      'linklocal.test:[fe80::1]',
      'loopback.test:127.0.0.1',
    ],
    allowLoopback: true,
    timeouts: { upstreamConnectMs: 300, upstreamResponseMs: 300 },
  });
});

afterAll(async () => {
  await harness?.close();
  blackhole?.kill('SIGKILL');
  resetting?.close();
  silent?.close();
  await rogue?.close();
  if (rogueDir) rmSync(rogueDir, { recursive: true, force: true });
});

/** The audit records and core log lines written for host:port after `since` (an index into each). */
async function recorded(host: string, since: { audit: number; logs: number }) {
  const audit = (await harness.audit()).slice(since.audit).filter((a) => (a.dst_endpoint as { hostname: string }).hostname === host);
  const logs = harness.core.logs
    .since()
    .slice(since.logs)
    .filter((l) => l.message.includes(host));
  return { audit, logs };
}

const mark = async () => ({ audit: (await harness.audit()).length, logs: harness.core.logs.since().length });

describe.each([
  ['a name that does not resolve', 'nowhere.invalid', () => 80, 502, /DNS resolution failed|does not resolve/],
  ['a port nobody listens on', 'dead.test', () => deadPort, 502, /refused/],
  ['an upstream that resets', 'reset.test', () => (resetting.address() as AddressInfo).port, 502, /reset|closed/],
  ['an upstream that never answers', 'silent.test', () => (silent.address() as AddressInfo).port, 504, /no answer/],
  ['an upstream that cannot be connected to in time', 'blackhole.test', () => blackholePort, 504, /could not connect/],
])('%s', (_case, host, port, status, cause) => {
  it(`plain HTTP: ${status} with the cause in JSON, a core log line, and an audit record that it failed`, async () => {
    const since = await mark();
    const c = await harness.client();
    c.write(`GET http://${host}:${port()}/x HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    const r = await c.response();
    expect(r.status).toBe(status);
    const body = JSON.parse(r.body.toString());
    expect(body).toMatchObject({ error: status === 504 ? 'upstream_timeout' : 'upstream_failed', host, port: port() });
    expect(body.cause).toMatch(cause);
    const { audit, logs } = await recorded(host, since);
    expect(audit.map((a) => [a.action, a.activity_name])).toEqual([
      ['Allowed', 'Open'],
      ['Allowed', 'Fail'],
    ]);
    expect(audit[1].message).toMatch(cause);
    expect(logs.map((l) => l.level)).toContain('warn');
  });

  it(`CONNECT: ${status} with the cause on the status line and in JSON, logged and audited`, async () => {
    // A tunnel is open once connected: what the upstream does after that (answer, reset) is the agent's to see.
    if (host === 'silent.test' || host === 'reset.test') return;
    const since = await mark();
    const { head, body } = await harness.connectRaw(host, port());
    expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} (Bad Gateway|Gateway Timeout): `));
    expect(JSON.parse(body).cause).toMatch(cause);
    const { audit } = await recorded(host, since);
    expect(audit.map((a) => a.activity_name)).toEqual(['Open', 'Fail']);
  });
});

describe('inspected tunnels', () => {
  it('an upstream certificate from a CA the core does not trust is a 502 naming the certificate, audited as failed', async () => {
    const since = await mark();
    const c = await harness.tunnel('rogue.test', rogue.port);
    c.write('GET /must-not-arrive HTTP/1.1\r\nHost: rogue.test\r\n\r\n');
    const r = await c.response();
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body.toString()).cause).toMatch(/TLS certificate was not accepted/);
    expect(rogue.requests).toEqual([]);
    const { audit } = await recorded('rogue.test', since);
    expect(audit.map((a) => a.activity_name)).toEqual(['Open', 'Open', 'Fail']); // the CONNECT, the GET, its failure
  });
});

describe('the destination guard with --allow-loopback', () => {
  it.each([
    ['cloud metadata', 'metadata.test'],
    ['link-local', 'linklocal.test'],
  ])('%s stays refused (403, stage ssrf), plain and CONNECT', async (_case, host) => {
    const c = await harness.client();
    c.write(`GET http://${host}/latest/meta-data/ HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    const r = await c.response();
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body.toString())).toMatchObject({ stage: 'ssrf' });
    const { head } = await harness.connectRaw(host, 80);
    expect(head).toMatch(/^HTTP\/1\.1 403 /);
  });

  it('a name resolving to loopback is permitted (the failure here is the closed port, a 502)', async () => {
    const c = await harness.client();
    c.write(`GET http://loopback.test:${deadPort}/ HTTP/1.1\r\nHost: loopback.test\r\n\r\n`);
    expect((await c.response()).status).toBe(502);
  });
});

describe('an approved request whose upstream fails shows on its inbox entry', () => {
  it('held, approved by the operator, then 502: the entry carries the failure (status, cause, fix) and a kind-upstream log line', async () => {
    const held = await startProxyHarness({
      policy: { version: 1, network_policies: {} },
      resolve: ['approved-dead.test:127.0.0.1'],
      allowLoopback: true,
      holdTimeoutMs: 10_000,
    });
    try {
      const c = await held.client();
      c.write(`GET http://approved-dead.test:${deadPort}/x HTTP/1.1\r\nHost: approved-dead.test\r\n\r\n`);
      let entry = held.core.listRequests()[0];
      for (let i = 0; i < 200 && !entry?.held; i++) {
        await new Promise((r) => setTimeout(r, 10));
        entry = held.core.listRequests()[0];
      }
      const updates: Array<{ failure?: unknown }> = [];
      held.core.on('request.updated', (r) => updates.push({ ...r }));
      held.core.approve(entry.id, { kind: 'session' }, 'operator', { allowUnknownBinary: true });
      expect((await c.response()).status).toBe(502);
      const after = held.core.getRequest(entry.id)!;
      expect(after.status).toBe('approved');
      expect(after.failure).toMatchObject({ kind: 'upstream', status: 502, cause: expect.stringMatching(/refused/) });
      expect(after.failure!.time).toBeGreaterThanOrEqual(after.decidedAt!);
      // Clients heard of it (one request.updated with the failure).
      expect(updates.some((u) => u.failure)).toBe(true);
      expect(held.core.logs.since().find((l) => l.kind === 'upstream')?.message).toContain('approved-dead.test');
      // A later request through the session approval (no held entry of its own) is put on the same entry.
      const c2 = await held.client();
      c2.write(`GET http://approved-dead.test:${deadPort}/y HTTP/1.1\r\nHost: approved-dead.test\r\n\r\n`);
      expect((await c2.response()).status).toBe(502);
      expect(held.core.getRequest(entry.id)!.failure!.time).toBeGreaterThanOrEqual(after.failure!.time);
    } finally {
      await held.close();
    }
  });
});
