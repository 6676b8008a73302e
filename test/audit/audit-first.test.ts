// Audit first, then apply: a core killed at any instant of a preset change leaves either no change, or a
// change with its audit record — never a change in force that the log does not show. The kill lands at
// the worst instant for real: strace stops the core right after the rename that commits the preset file
// (the syscall has happened, the process cannot run on), and the test sends SIGKILL there.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startCoreProcess, type CoreProcess } from '../helpers/core-process.js';
import { until } from '../helpers/feed-socket.js';

const canTrace = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Attaches strace to every thread of pid so that each rename(2) returns only after a long stop. */
async function stopAfterRenames(pid: number): Promise<ChildProcess> {
  const tracer = spawn(
    'strace',
    ['-f', '-p', String(pid), '-e', 'trace=rename,renameat,renameat2', '-e', 'inject=rename,renameat,renameat2:delay_exit=60000000'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  tracer.stderr!.on('data', (d) => (log += d));
  cleanup.push(() => tracer.kill('SIGKILL'));
  // strace says "Process N attached with T threads" once every thread is traced.
  await until(() => (/attached/.test(log) ? true : undefined));
  return tracer;
}

function auditChanges(dir: string): Array<{ change: string; target: string }> {
  const file = join(dir, 'audit.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((e) => e.class_uid === 3004)
    .map((e) => ({ change: e.unmapped.change, target: e.entity?.name ?? '' }));
}

/** SIGKILL, then the tracer goes too: the thread strace holds in its rename only dies once it is let go. */
async function killHard(c: CoreProcess, tracer: ChildProcess) {
  const exited = new Promise((r) => c.child.once('exit', r));
  c.child.kill('SIGKILL');
  tracer.kill('SIGKILL');
  await exited;
}

describe.runIf(canTrace)('kill -9 between a preset write and its audit record', () => {
  it('preset add: the preset in force after the crash is in the audit log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-audit-first-'));
    const c = await startCoreProcess(dir, ['--hold-timeout', '0']);
    cleanup.push(() => c.stop());
    const tracer = await stopAfterRenames(c.child.pid!);
    const cli = runCli(['preset', 'add', 'pypi', '--state-dir', dir]);
    // The commit point: applied-presets.json names pypi once its rename has happened.
    const applied = join(dir, 'applied-presets.json');
    await until(() => (existsSync(applied) && readFileSync(applied, 'utf8').includes('"pypi"') ? true : undefined));
    await killHard(c, tracer);
    await cli;
    expect(auditChanges(dir)).toContainEqual(expect.objectContaining({ change: 'preset-add' }));
    // And the next core does run with it.
    const next = await startCoreProcess(dir, ['--hold-timeout', '0']);
    cleanup.push(() => next.stop());
    const list = JSON.parse((await runCli(['preset', 'list', '--json', '--state-dir', dir])).stdout);
    expect(list.find((p: { name: string }) => p.name === 'pypi').applied).toBe(true);
  }, 60_000);

  it('promote: the preset file written before the crash is in the audit log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-audit-promote-'));
    const c = await startCoreProcess(dir, ['--hold-timeout', '0']);
    cleanup.push(() => c.stop());
    const { execFile } = await import('node:child_process');
    await new Promise((resolve) => execFile('curl', ['-s', '-x', c.proxy, 'http://promoted.test/'], resolve));
    const id = JSON.parse((await runCli(['requests', '--json', '--state-dir', dir])).stdout)[0].id;
    const tracer = await stopAfterRenames(c.child.pid!);
    const cli = runCli(['promote', id, '--preset', 'promoted', '--state-dir', dir]);
    await until(() => (existsSync(join(dir, 'presets', 'promoted.yaml')) ? true : undefined));
    await killHard(c, tracer);
    await cli;
    expect(auditChanges(dir)).toContainEqual(expect.objectContaining({ change: 'promote' }));
  }, 60_000);
});
