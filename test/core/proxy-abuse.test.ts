// Hostile and broken clients cost only their own connection: header floods, slowloris, half-written
// requests, and ten thousand idle connections — the proxy keeps serving everyone else.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { Resolver } from '../../src/core/net/resolver.js';
import { EgressProxy } from '../../src/core/proxy/egress-proxy.js';
import { startCoreProcess } from '../helpers/core-process.js';
import { startUpstream } from '../helpers/upstream.js';
import { writeFileSync } from 'node:fs';

const exec = promisify(execFile);
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let core: EnforcementCore;
let proxy: EgressProxy;
let port: number;

const policyFor = (upPort: number) => ({
  version: 1,
  network_policies: { ok: { name: 'ok', endpoints: [{ host: 'ok.test', port: upPort }], binaries: [{ path: '**' }] } },
});

const curlStatus = async (proxyUrl: string, url: string) => {
  const { stdout } = await exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-x', proxyUrl, url]);
  return Number(stdout);
};

/** Sends raw bytes and collects whatever comes back until the server closes. */
const raw = (bytes: string | Buffer, keepOpenMs = 0) =>
  new Promise<{ reply: string; closed: boolean }>((resolve) => {
    const s = connect(port, '127.0.0.1');
    let reply = '';
    s.on('data', (d) => (reply += d));
    s.on('error', () => {});
    s.on('close', () => resolve({ reply, closed: true }));
    s.write(bytes);
    if (keepOpenMs > 0) setTimeout(() => resolve({ reply, closed: s.destroyed }), keepOpenMs);
  });

beforeAll(async () => {
  upstream = await startUpstream();
  core = new EnforcementCore({ baseline: policyFor(upstream.port), holdTimeoutMs: 0 });
  proxy = new EgressProxy({ core, resolver: new Resolver(['ok.test:127.0.0.1']), allowLoopback: true, timeouts: { headersMs: 500 } });
  port = (await proxy.listen('127.0.0.1', 0)).port;
});

afterAll(async () => {
  core.shutdown();
  await proxy.close();
  await upstream.close();
});

describe('abusive clients', () => {
  it('a header flood is refused with 431 and closed', async () => {
    const flood = `GET http://ok.test:${upstream.port}/ HTTP/1.1\r\nHost: ok.test\r\nX-Flood: ${'a'.repeat(64 * 1024)}\r\n\r\n`;
    const r = await raw(flood);
    expect(r.reply).toMatch(/^HTTP\/1\.1 431/);
    expect(await curlStatus(`http://127.0.0.1:${port}`, `http://ok.test:${upstream.port}/`)).toBe(200);
  });

  it('many small headers are refused too', async () => {
    const flood = `GET http://ok.test:${upstream.port}/ HTTP/1.1\r\n${Array.from({ length: 5000 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`;
    expect((await raw(flood)).reply).toMatch(/^HTTP\/1\.1 431/);
  });

  it('a slowloris client is cut off while others are served', async () => {
    const slow = new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.write(`GET http://ok.test:${upstream.port}/ HTTP/1.1\r\n`);
      const drip = setInterval(() => s.writable && s.write('X-Slow: 1\r\n'), 100);
      s.on('close', () => {
        clearInterval(drip);
        resolve(true);
      });
    });
    expect(await curlStatus(`http://127.0.0.1:${port}`, `http://ok.test:${upstream.port}/`)).toBe(200);
    expect(await slow).toBe(true);
  }, 15_000);

  it('half-written requests and binary garbage close only their connection', async () => {
    const half = await raw(`GET http://ok.test:${upstream.port}/ HT`, 100);
    expect(half.reply).toBe('');
    const garbage = await raw(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]));
    expect(garbage.reply).toMatch(/^HTTP\/1\.1 400/);
    expect(await curlStatus(`http://127.0.0.1:${port}`, `http://ok.test:${upstream.port}/`)).toBe(200);
  });

  it('a request line with an invalid port or an empty host is refused', async () => {
    expect((await raw('GET http://ok.test:70000/ HTTP/1.1\r\nHost: x\r\n\r\n')).reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await raw('GET / HTTP/1.1\r\nHost: x\r\n\r\n')).reply).toMatch(/^HTTP\/1\.1 400/);
  });
});

describe('ten thousand concurrent connections', () => {
  it('the core keeps serving, and its memory stays bounded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-10k-'));
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(
      policyFile,
      `version: 1\nnetwork_policies:\n  ok:\n    name: ok\n    endpoints: [{host: ok.test, port: ${upstream.port}}]\n    binaries: [{path: "**"}]\n`,
    );
    const c = await startCoreProcess(dir, [
      '--policy',
      policyFile,
      '--resolve',
      'ok.test:127.0.0.1',
      '--allow-loopback',
      '--hold-timeout',
      '0',
    ]);
    const proxyPort = Number(new URL(c.proxy).port);
    const sockets: Socket[] = [];
    try {
      for (let batch = 0; batch < 20; batch++) {
        await Promise.all(
          Array.from(
            { length: 500 },
            () =>
              new Promise<void>((resolve) => {
                const s = connect(proxyPort, '127.0.0.1', () => resolve());
                s.on('error', () => resolve());
                sockets.push(s);
              }),
          ),
        );
      }
      expect(sockets.filter((s) => !s.destroyed).length).toBeGreaterThanOrEqual(9_900);
      expect(await curlStatus(c.proxy, `http://ok.test:${upstream.port}/`)).toBe(200);
      const { readFileSync } = await import('node:fs');
      const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${c.child.pid}/status`, 'utf8'))![1]);
      // Bounded: idle connections cost a few KiB each, not the request buffers of live ones.
      expect(rssKiB / 1024).toBeLessThan(400);
    } finally {
      for (const s of sockets) s.destroy();
      await c.stop();
    }
  }, 60_000);
});
