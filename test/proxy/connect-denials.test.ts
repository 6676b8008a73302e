// A refused CONNECT explains itself to the agent, over real sockets and with real clients (curl, Python):
// the reason and the request id on the 403 status line (which is all curl and Python show of a refused
// tunnel), sanitised and bounded; the JSON body with how to ask for access; and, for agents that trust the
// core's CA (those `run` starts), the TLS handshake completed with our leaf and a 403 with the JSON body
// answered inside the tunnel. An agent that does not trust the CA fails the handshake: the core says so,
// with the request id and the fix.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawHttpClient } from '../helpers/raw-http-client.js';
import { startProxyHarness, type ProxyHarness } from './support/proxy-harness.js';

const exec = promisify(execFile);
const EMPTY = { version: 1, network_policies: {} };

/** Runs a client command; resolves with its exit code and output whatever the code. */
async function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(cmd, args, { timeout: 15_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('a refused CONNECT, to any client', () => {
  let harness: ProxyHarness;
  beforeAll(async () => {
    harness = await startProxyHarness({ policy: EMPTY, holdTimeoutMs: 5_000 });
  });
  afterAll(() => harness?.close());

  const rejectNext = (reason: string) => harness.core.once('request.pending', (r) => setImmediate(() => harness.core.reject(r.id, reason)));

  it('carries the reason and request id on the status line and in the JSON body', async () => {
    rejectNext('not on a weekday');
    const { head, body } = await harness.connectRaw('denied.test', 443);
    const [statusLine] = head.split('\r\n');
    const id = JSON.parse(body).request_id as string;
    expect(id).toMatch(/^r\d+$/);
    expect(statusLine).toBe(`HTTP/1.1 403 Forbidden: rejected by the operator: not on a weekday (request ${id})`);
    expect(JSON.parse(body)).toMatchObject({
      error: 'egress_denied',
      host: 'denied.test',
      port: 443,
      reason: 'rejected by the operator: not on a weekday',
      how_to_request_access: expect.stringContaining(`openshell-term approve ${id}`),
    });
  });

  it('never lets a reason break the status line: CR/LF, escapes and length are neutralised', async () => {
    rejectNext(`no\r\nX-Injected: 1\r\n\r\n\x1b[31mred\u202e${'x'.repeat(500)}`);
    const { head } = await harness.connectRaw('injected.test', 443);
    const lines = head.split('\r\n');
    expect(lines[0]).toMatch(/^HTTP\/1\.1 403 Forbidden: rejected by the operator: no/);
    expect(lines[0]).toMatch(/^[\x20-\x7e]+$/);
    expect(lines[0].length).toBeLessThanOrEqual(200);
    expect(lines.some((l) => /^X-Injected/i.test(l))).toBe(false);
  });

  it('curl shows the reason and request id (-v) and the JSON body cannot be mistaken for a tunnel', async () => {
    rejectNext('ask first');
    const r = await run('curl', ['-sv', '--max-time', '10', '-x', `http://127.0.0.1:${harness.port}`, 'https://curl-denied.test/']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/< HTTP\/1\.1 403 Forbidden: rejected by the operator: ask first \(request r\d+\)/);
  });

  it('Python (urllib) reports the reason in its tunnel error', async () => {
    rejectNext('ask first');
    const script = [
      'import urllib.request, sys',
      `opener = urllib.request.build_opener(urllib.request.ProxyHandler({"https": "http://127.0.0.1:${harness.port}"}))`,
      'try:',
      '    opener.open("https://python-denied.test/", timeout=10)',
      'except Exception as e:',
      '    print(e)',
    ].join('\n');
    const r = await run('python3', ['-c', script]);
    expect(r.stdout).toMatch(/Tunnel connection failed: 403 Forbidden: rejected by the operator: ask first \(request r\d+\)/);
  });
});

describe('a refused CONNECT explained inside TLS, to agents that trust the CA', () => {
  let harness: ProxyHarness;
  let caFile: string;
  beforeAll(async () => {
    harness = await startProxyHarness({
      policy: EMPTY,
      explainDenialsInTls: (who) => who.binary === '/agents/under-run',
      identify: async () => ({ binary: '/agents/under-run' }),
      caCertPath: '/state/ca.crt',
    });
    caFile = join(harness.stateDir, 'ca.crt');
  });
  afterAll(() => harness?.close());

  it('completes the handshake with our leaf and answers the first request with the 403 JSON, then closes', async () => {
    const { head, socket } = await harness.connectRaw('explained.test', 443);
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    const secure = tlsConnect({ socket, servername: 'explained.test', ca: harness.caPem });
    await new Promise((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    const c = new RawHttpClient(secure);
    c.write('GET /anything HTTP/1.1\r\nHost: explained.test\r\n\r\n');
    const r = await c.response();
    expect(r.status).toBe(403);
    expect(r.header('connection')).toBe('close');
    const body = JSON.parse(r.body.toString());
    expect(body).toMatchObject({
      error: 'egress_denied',
      host: 'explained.test',
      port: 443,
      stage: 'no_match',
      request_id: expect.stringMatching(/^r\d+$/),
    });
    expect(body.how_to_request_access).toContain(`openshell-term approve ${body.request_id}`);
    await c.closed;
  });

  it('curl trusting the CA prints the JSON reason instead of "CONNECT tunnel failed"', async () => {
    const r = await run('curl', [
      '-s',
      '--max-time',
      '10',
      '--cacert',
      caFile,
      '-x',
      `http://127.0.0.1:${harness.port}`,
      'https://curl-explained.test/x',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      error: 'egress_denied',
      host: 'curl-explained.test',
      request_id: expect.stringMatching(/^r\d+$/),
    });
  });

  it('a client speaking plain HTTP inside the tunnel gets the same 403', async () => {
    const { socket } = await harness.connectRaw('cleartext.test', 80);
    const c = new RawHttpClient(socket);
    socket.resume();
    c.write('GET / HTTP/1.1\r\nHost: cleartext.test\r\n\r\n');
    const r = await c.response();
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body.toString())).toMatchObject({ host: 'cleartext.test', port: 80 });
  });

  it('an agent that does not trust the CA fails the handshake, and the core logs the request id and the fix', async () => {
    const before = harness.core.logs.since().length;
    const r = await run('curl', ['-s', '--max-time', '10', '-x', `http://127.0.0.1:${harness.port}`, 'https://untrusting.test/']);
    expect(r.code).not.toBe(0);
    const denied = harness.core.listRequests().find((x) => x.host === 'untrusting.test')!;
    let line: string | undefined;
    for (let i = 0; i < 100 && !line; i++) {
      line = harness.core.logs
        .since()
        .slice(before)
        .find((l) => l.message.includes('TLS handshake with the agent failed for untrusting.test:443'))?.message;
      if (!line) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(line).toContain(`(request ${denied.id})`);
    expect(line).toContain('openshell-term run');
    expect(line).toContain('/state/ca.crt');
    // The line is of kind tls, and the entry itself carries the failure and the fix (the console shows it on the row).
    expect(harness.core.logs.since().find((l) => l.message === line)?.kind).toBe('tls');
    const entry = harness.core.getRequest(denied.id)!;
    expect(entry.failure).toMatchObject({ kind: 'tls', fix: expect.stringContaining('openshell-term run') });
  });

  it('clients the option does not name still get the 403 on the CONNECT itself', async () => {
    const other = await startProxyHarness({
      policy: EMPTY,
      explainDenialsInTls: (who) => who.binary === '/agents/under-run',
      identify: async () => ({ binary: '/usr/bin/someone-else' }),
    });
    try {
      const { head } = await other.connectRaw('not-explained.test', 443);
      expect(head).toMatch(/^HTTP\/1\.1 403 Forbidden: /);
    } finally {
      await other.close();
    }
  });
});

describe('inspected tunnels the agent does not trust', () => {
  it('an allowed, inspected CONNECT whose handshake fails is logged with the fix', async () => {
    const harness = await startProxyHarness({
      policy: {
        version: 1,
        network_policies: {
          i: {
            name: 'i',
            endpoints: [{ host: 'inspect.test', port: 443, protocol: 'rest', enforcement: 'enforce', access: 'read-only' }],
            binaries: [{ path: '**' }],
          },
        },
      },
      resolve: ['inspect.test:127.0.0.1'],
    });
    try {
      const before = harness.core.logs.since().length;
      const r = await run('curl', ['-s', '--max-time', '10', '-x', `http://127.0.0.1:${harness.port}`, 'https://inspect.test/']);
      expect(r.code).not.toBe(0);
      let found = false;
      for (let i = 0; i < 100 && !found; i++) {
        found = harness.core.logs
          .since()
          .slice(before)
          .some(
            (l) =>
              l.level === 'warn' &&
              l.message.includes('TLS handshake with the agent failed for inspect.test:443') &&
              l.message.includes('openshell-term run'),
          );
        if (!found) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(found).toBe(true);
    } finally {
      await harness.close();
    }
  });
});
