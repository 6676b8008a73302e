// Gateway mode end to end: `core --grpc-listen` in one process, the console attached to it over gRPC
// (`--endpoint`) in tmux, a real agent (curl) through the core's proxy. The request shows up in the
// remote console, `a` lets it through; killing and restarting the core, the console reconnects.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { startCoreProcess, type CoreProcess } from '../helpers/core-process.js';
import { curlVia } from '../helpers/curl.js';
import { freePort, haveTmux, TmuxSession } from '../helpers/tmux.js';
import { startUpstream } from '../helpers/upstream.js';

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let core: CoreProcess;
let tmux: TmuxSession;
let coreDir: string;
let grpcPort: number;

const startCore = () =>
  startCoreProcess(coreDir, [
    '--grpc-listen',
    `127.0.0.1:${grpcPort}`,
    '--resolve',
    'remote.test:127.0.0.1',
    '--resolve',
    'again.test:127.0.0.1',
    '--resolve',
    'tracker.test:127.0.0.1',
    '--resolve',
    'mirror.test:127.0.0.1',
    '--resolve',
    'bulk-one.test:127.0.0.1',
    '--resolve',
    'bulk-two.test:127.0.0.1',
    '--allow-loopback',
    '--hold-timeout',
    '20',
  ]);

/** Presses w until the title bar names `title` (the first press may come before the workspace list). */
async function waitForSwitch(title: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await tmux.press('w');
    const screen = await tmux.waitFor((s) => s.split('\n')[0].includes(title) || s.includes('still loading'), `w → ${title}`);
    if (screen.split('\n')[0].includes(title)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`w never switched to ${title}`);
}

describe.runIf(haveTmux())('remote console over gRPC (tmux)', () => {
  beforeAll(async () => {
    upstream = await startUpstream('hello through a remote console');
    coreDir = mkdtempSync(join(tmpdir(), 'ost-remote-core-'));
    grpcPort = await freePort();
    core = await startCore();
    expect(core.grpc).toBe(`http://127.0.0.1:${grpcPort}`);
    tmux = new TmuxSession();
    // The gateway API authenticates every call. This console runs as the core's operator would, on the core's
    // state dir: it finds the core's token there (checked against the live core) and again after a restart,
    // when the core's token is a new one. (A token given in OPENSHELL_TOKEN cannot follow a restart.)
    await tmux.start(`${process.execPath} ${BIN} --endpoint ${core.grpc} --state-dir ${coreDir}`);
    await tmux.waitFor((s) => s.includes('● connected') && s.includes('remote'), 'the remote console', 25_000);
  }, 40_000); // two processes start here: generous on a loaded 2-core machine

  afterAll(async () => {
    await tmux?.stop();
    await core?.stop();
    await upstream?.close();
  });

  it('a request through the core appears in the remote console; a lets it through', async () => {
    const started = Date.now();
    const pending = curlVia(core.proxy, `http://remote.test:${upstream.port}/v1/models`);
    await tmux.waitFor((s) => s.includes('remote.test'), 'the request in the remote console');
    // The denial shows at once; the gateway's proposal (with the request it saw) upgrades it in place.
    const screen = await tmux.waitFor((s) => s.includes('GET /v1/models'), 'the proposal in the remote console');
    // Measured, not asserted (timing belongs in bench/gateway): the target is 250 ms.
    console.log(`remote console: request visible after ${Date.now() - started} ms (includes curl start-up and 50 ms polling of the pane)`);
    expect(screen).toContain('GET /v1/models');
    expect(screen).toContain('local');
    await tmux.press('a');
    expect(await pending).toEqual({ status: 200, body: 'hello through a remote console' });
    // The row turns approved when the refetch lands; the status line follows once the call returns.
    const approved = await tmux.waitFor((s) => s.includes('approved') && s.includes('policy revision'), 'approved in the remote console');
    // A gateway approval is a policy revision: no session lifetime is offered or claimed.
    expect(approved).toContain('(a new policy revision)');
    expect(approved).not.toMatch(/\[session\]|t lifetime/);
  }, 30_000);

  it('r rejects over gRPC: the agent gets a 403', async () => {
    const pending = curlVia(core.proxy, `http://tracker.test:${upstream.port}/collect`);
    await tmux.waitFor((s) => s.includes('tracker.test') && s.includes('GET /collect'), 'the tracker proposal');
    await tmux.press('g', 'r');
    const r = await pending;
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'egress_denied', host: 'tracker.test' });
    await tmux.waitFor((s) => s.includes('rejected'), 'rejected in the remote console');
  }, 30_000);

  it('p promotes over gRPC: the preset file is written on the console side and merged into the core', async () => {
    const pending = curlVia(core.proxy, `http://mirror.test:${upstream.port}/simple/`);
    await tmux.waitFor((s) => s.includes('mirror.test') && s.includes('GET /simple/'), 'the mirror proposal');
    await tmux.press('g', 'p');
    await tmux.waitFor((s) => s.includes('Promote local/') && s.includes('✓ ready'), 'the promote dialog');
    await tmux.press('Enter');
    expect((await pending).status).toBe(200);
    await tmux.waitFor((s) => s.includes("to preset 'mirror-test'"), 'the status line');
    expect(existsSync(join(coreDir, 'presets', 'mirror-test.yaml'))).toBe(true);
    // Merged into the core's persisted layer over gRPC, not applied as one of its presets: the file is the console's.
    expect(readFileSync(join(coreDir, 'merged-rules.yaml'), 'utf8')).toContain('mirror.test');
  }, 30_000);

  it('A lists what approve-all will approve; y approves them and every agent gets through', async () => {
    const pending = [
      curlVia(core.proxy, `http://bulk-one.test:${upstream.port}/one`),
      curlVia(core.proxy, `http://bulk-two.test:${upstream.port}/two`),
    ];
    await tmux.waitFor((s) => s.includes('GET /one') && s.includes('GET /two'), 'both proposals');
    await tmux.press('A');
    // The gateway's own preview, listed: exactly these two, as one policy revision each; nothing skipped.
    const dialog = await tmux.waitFor((s) => s.includes('Approve all 2 visible pending requests'), 'the approve-all dialog');
    expect(dialog).toContain('(one policy revision)?');
    expect(dialog).toMatch(/✓ bulk-one\.test:\d+ +local/);
    expect(dialog).toMatch(/✓ bulk-two\.test:\d+ +local/);
    expect(dialog).not.toContain('Skipped:');
    await tmux.press('y');
    for (const r of await Promise.all(pending)) expect(r).toEqual({ status: 200, body: 'hello through a remote console' });
    await tmux.waitFor((s) => s.includes('approved 2 requests (as policy revisions)'), 'the status line');
  }, 30_000);

  it('the title bar names the protocol and the workspace; w switches to all workspaces and back', async () => {
    const screen = await tmux.waitFor((s) => s.includes('workspace default'), 'the workspace in the title bar');
    expect(screen).toMatch(/\d+\.\d+\.\d+ · (openshell|ryno)\.v1/);
    // The workspace list arrives once per connection; until then w says so (and does nothing): press until it switches.
    await waitForSwitch('all workspaces');
    const all = await tmux.screen();
    // Every sandbox of every workspace: the local one is still listed, now named with its workspace.
    expect(all).toContain('showing all workspaces');
    await waitForSwitch('workspace default');
    // Each switch resyncs; the streams resume where they were rather than replaying their tail, so the
    // denials of requests decided earlier do not come back as entries awaiting a proposal.
    await new Promise((r) => setTimeout(r, 500));
    expect(await tmux.screen()).not.toMatch(/local\/~d\d/);
  }, 30_000);

  it('reconnects after the core is killed and restarted, and keeps working', async () => {
    await core.stop();
    await tmux.waitFor((s) => /retry(ing)? in \d+s|disconnected/.test(s), 'the disconnected state');
    // Nothing network-bound is on the key path: with the gateway gone, keys still answer (upstream's TUI
    // goes black for 20–30 s when its refresh blocks).
    await tmux.press('?');
    await tmux.waitFor((s) => s.includes('Keys — inbox'), 'the help overlay while disconnected');
    await tmux.press('Escape');
    core = await startCore();
    await tmux.waitFor((s) => s.includes('● connected'), 'reconnected', 20_000);
    const pending = curlVia(core.proxy, `http://again.test:${upstream.port}/after`);
    await tmux.waitFor((s) => s.includes('again.test'), 'a request after the restart');
    await tmux.press('g', 'a');
    expect((await pending).status).toBe(200);
    const screen = await tmux.screen();
    expect(screen).not.toMatch(/Error/);
  }, 40_000);
});
