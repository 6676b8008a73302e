// An agent holds open as many tunnels as the core has file descriptors: each allowed CONNECT costs the core
// two (the agent's socket and the upstream's), and a relayed tunnel keeps both until it ends. Before the
// proxy counted them, a few hundred held tunnels under `--nofile 600` left the core no descriptor for
// anything else: the operator's CLI could not reach the feed ("cannot reach the core"), the proxy answered
// EMFILE, and nothing told the operator why. Now the proxy keeps a reserve of descriptors for the operator
// (the feed, gRPC, the audit log, presets) and refuses what is over its budget, and says so once.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startCoreProcess, type CoreProcess } from '../helpers/core-process.js';

const FD_LIMIT = 600;
let upstream: Server;
let upstreamPort: number;
let core: CoreProcess;
let dir: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  upstream = createServer((s) => s.on('error', () => {}));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstream.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), 'ost-fd-flood-'));
  const policy = join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    `version: 1\nnetwork_policies:\n  up:\n    name: up\n    endpoints: [{host: up.test, port: ${upstreamPort}}]\n    binaries: [{path: "**"}]\n`,
  );
  core = await startCoreProcess(
    dir,
    ['--policy', policy, '--resolve', 'up.test:127.0.0.1', '--allow-loopback', '--hold-timeout', '0'],
    ['prlimit', `--nofile=${FD_LIMIT}`],
  );
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await core?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

/** Opens a tunnel to the allowed upstream and keeps it; resolves with the proxy's answer (or how it ended). */
function tunnel(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    sockets.push(s);
    s.on('error', () => resolve('error'));
    s.on('close', () => resolve('closed'));
    s.once('connect', () => s.write(`CONNECT up.test:${upstreamPort} HTTP/1.1\r\nHost: up.test:${upstreamPort}\r\n\r\n`));
    s.once('data', (d) => resolve(d.toString('latin1').split('\r\n')[0]));
  });
}

describe(`an agent holding open more tunnels than the core has descriptors (--nofile ${FD_LIMIT})`, () => {
  it("cannot take the operator's descriptors: the CLI still reaches the core, which says why it refuses", async () => {
    const port = Number(new URL(core.proxy).port);
    const answers: string[] = [];
    for (let batch = 0; batch < 8; batch++) answers.push(...(await Promise.all(Array.from({ length: 50 }, () => tunnel(port)))));
    const established = answers.filter((a) => / 200 /.test(a)).length;
    // Some tunnels were served, and the rest refused; none failed on the core's own lack of descriptors.
    expect(established).toBeGreaterThan(50);
    expect(established).toBeLessThan(FD_LIMIT / 2);
    expect(answers.some((a) => /EMFILE/.test(a))).toBe(false);
    // With every tunnel still held open, the operator's commands reach the core.
    const r = await runCli(['requests', '--json', '--state-dir', dir]);
    expect(r.stderr).not.toMatch(/cannot reach the core/);
    expect(r.code).toBe(0);
    // The core said, once, why it refuses; each allowed tunnel it could not open is audited as failed.
    expect(core.output().match(/refusing agent connections: the proxy's sockets reached their connection budget/g)).toHaveLength(1);
    // Every other tunnel was refused for the budget: a 502 naming it, or closed at once at accept.
    for (const answer of answers.filter((a) => !/ 200 /.test(a)))
      expect(answer).toMatch(/^(HTTP\/1\.1 502 .*connection budget|closed|error)/);
  }, 60_000);
});
