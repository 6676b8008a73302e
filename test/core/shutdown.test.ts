// On stop, every held connection gets the 403 the audit log records, with the reason — not a closed socket.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startCoreProcess } from '../helpers/core-process.js';
import { until } from '../helpers/feed-socket.js';
import { RawHttpClient } from '../helpers/raw-http-client.js';

describe.each(['SIGTERM', 'SIGINT'] as const)('%s with held connections', (signal) => {
  it('answers each one 403 with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-stop-'));
    const c = await startCoreProcess(dir, ['--hold-timeout', '120']);
    const port = Number(new URL(c.proxy).port);
    const plain = await RawHttpClient.open(port);
    plain.write('GET http://held.test/x HTTP/1.1\r\nHost: held.test\r\n\r\n');
    const second = await RawHttpClient.open(port);
    second.write('GET http://held.test/y HTTP/1.1\r\nHost: held.test\r\n\r\n');
    const tunnel = await RawHttpClient.open(port);
    tunnel.write('CONNECT tunnel.test:443 HTTP/1.1\r\nHost: tunnel.test:443\r\n\r\n');
    await until(async () => {
      const r = await runCli(['requests', '--json', '--state-dir', dir]);
      const list = JSON.parse(r.stdout) as Array<{ held: number }>;
      return list.reduce((n, e) => n + e.held, 0) === 3 ? true : undefined;
    });
    const exited = new Promise<number | null>((resolve) => c.child.once('exit', resolve));
    c.child.kill(signal);
    for (const client of [plain, second, tunnel]) {
      const response = await client.response();
      expect(response.status).toBe(403);
      expect(response.header('x-openshell-deny-reason')).toMatch(/shutting down/);
      expect(JSON.parse(response.body.toString()).reason).toMatch(/shutting down/);
    }
    expect(await exited).toBe(0);
    // The audit log says the same as the clients were told.
    const denied = readFileSync(join(dir, 'audit.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('shutting down'));
    expect(denied).toHaveLength(3);
  }, 40_000);
});
