// An audit log that cannot be written is loud: on a real full filesystem (a tiny tmpfs this test mounts),
// `requests` says so, the command whose decision went unrecorded exits non-zero, and with --audit-required
// approvals are refused, saying why, until the log is writable again.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startCoreProcess, type CoreProcess } from '../helpers/core-process.js';
import { curlVia } from '../helpers/curl.js';
import { until } from '../helpers/feed-socket.js';
import { startUpstream } from '../helpers/upstream.js';

const exec = promisify(execFile);
const root = process.platform === 'linux' && process.getuid?.() === 0;

let upstream: Awaited<ReturnType<typeof startUpstream>>;
beforeAll(async () => {
  upstream = await startUpstream('through');
});
afterAll(async () => {
  await upstream?.close();
});

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A 4 MiB tmpfs holding a state dir; fill() takes every free block, free() gives them back. */
async function tinyFilesystem() {
  const mount = mkdtempSync(join(tmpdir(), 'ost-enospc-'));
  await exec('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mount]);
  cleanup.push(() => spawnSync('umount', ['-l', mount]));
  const stateDir = join(mount, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
  const filler = join(mount, 'filler');
  return {
    stateDir,
    fill: () => spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' }),
    free: () => rmSync(filler, { force: true }),
  };
}

interface Entry {
  id: string;
  host: string;
  held: number;
}

async function heldEntry(dir: string, host: string): Promise<Entry> {
  return until(async () => {
    const r = await runCli(['requests', '--json', '--state-dir', dir]);
    return r.code === 0 ? (JSON.parse(r.stdout) as Entry[]).find((e) => e.host === host && e.held > 0) : undefined;
  });
}

const flags = ['--hold-timeout', '60', '--resolve', 'full.test:127.0.0.1', '--allow-loopback'];

describe.runIf(root)('ENOSPC on the audit log', () => {
  it('requests warns, and approve exits non-zero: the decision was applied but not recorded', async () => {
    const fs = await tinyFilesystem();
    const c: CoreProcess = await startCoreProcess(fs.stateDir, flags);
    cleanup.push(() => c.stop());
    fs.fill();
    const agent = curlVia(c.proxy, `http://full.test:${upstream.port}/`);
    const entry = await heldEntry(fs.stateDir, 'full.test');
    const listed = await runCli(['requests', '--state-dir', fs.stateDir]);
    expect(listed.stderr).toMatch(/audit log .*(ENOSPC|no space)/i);
    const approved = await runCli(['approve', entry.id, '--state-dir', fs.stateDir]);
    expect(approved.code).not.toBe(0);
    expect(approved.stderr).toMatch(/not recorded|could not be written/);
    expect(approved.stderr).toMatch(/ENOSPC|no space/i);
    expect(await agent).toEqual({ status: 200, body: 'through' });
  }, 60_000);

  it('--audit-required refuses approvals until the log is writable, then records them', async () => {
    const fs = await tinyFilesystem();
    const c: CoreProcess = await startCoreProcess(fs.stateDir, [...flags, '--audit-required']);
    cleanup.push(() => c.stop());
    fs.fill();
    const agent = curlVia(c.proxy, `http://full.test:${upstream.port}/`);
    const entry = await heldEntry(fs.stateDir, 'full.test');
    const refused = await runCli(['approve', entry.id, '--state-dir', fs.stateDir]);
    expect(refused.code).toBe(6); // failed precondition (README "Exit codes"): a writable log lifts it
    expect(refused.stderr).toMatch(/audit-required/);
    expect(refused.stderr).toMatch(/ENOSPC|no space/i);
    expect((await heldEntry(fs.stateDir, 'full.test')).held).toBe(1);
    fs.free();
    const approved = await runCli(['approve', entry.id, '--state-dir', fs.stateDir]);
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(await agent).toEqual({ status: 200, body: 'through' });
    const audit = readFileSync(join(fs.stateDir, 'audit.jsonl'), 'utf8');
    expect(audit).toContain(`"change":"approve"`);
  }, 60_000);
});
