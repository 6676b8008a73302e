// The standalone core explains refused CONNECTs inside TLS to the agents it started (`run` adds their
// pids to agentPids; their process trees trust the core's CA) and to nobody else, with real curl
// processes identified by binary identity over real sockets.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandalone, type Standalone } from '../../src/gateway/embedded/standalone.js';

let standalone: Standalone;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'ost-standalone-explain-'));
  standalone = await startStandalone({ stateDir, proxyListen: '127.0.0.1:0', wsListen: '127.0.0.1:0', holdTimeoutSeconds: 0 });
}, 30_000);

afterAll(async () => {
  await standalone?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

/** Runs curl through the core under `sh` (so curl is a child, as under `run`); `agent` registers sh as an agent. */
function curl(url: string, agent: boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = ['-s', '-S', '--max-time', '10', '--cacert', join(stateDir, 'ca.crt'), '-x', `http://${standalone.proxyAddress}`, url];
  const child = spawn('sh', ['-c', 'exec "$@"', 'sh', 'curl', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (agent && child.pid) standalone.agentPids.add(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('standalone: explainDenialsInTls', () => {
  it('an agent it started gets the JSON reason inside TLS', async () => {
    const r = await curl('https://refused-agent.test/', true);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      error: 'egress_denied',
      host: 'refused-agent.test',
      request_id: expect.stringMatching(/^r\d+$/),
    });
  });

  it('any other process gets the 403 on the CONNECT (curl: "CONNECT tunnel failed, response 403")', async () => {
    const r = await curl('https://refused-other.test/', false);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/CONNECT tunnel failed, response 403/);
  });
});
