import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFileLock } from '../../src/core/tls/file-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A pid that certainly belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('withFileLock', () => {
  it('runs holders one at a time and removes the lock afterwards', async () => {
    const lock = join(dir, 'x.lock');
    const events: string[] = [];
    const holder = (name: string) =>
      withFileLock(lock, async () => {
        events.push(`${name}+`);
        await new Promise((resolve) => setImmediate(resolve));
        events.push(`${name}-`);
        return name;
      });
    expect(await Promise.all([holder('a'), holder('b'), holder('c')])).toEqual(['a', 'b', 'c']);
    for (let i = 0; i < events.length; i += 2) expect(events[i + 1]).toBe(events[i].replace('+', '-'));
    expect(await readdir(dir)).toEqual([]);
  });

  it('releases the lock when the work fails', async () => {
    const lock = join(dir, 'x.lock');
    await expect(withFileLock(lock, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withFileLock(lock, async () => 'again')).toBe('again');
  });

  it('takes over a lock whose owner has died, or one with our pid that we do not hold', async () => {
    const lock = join(dir, 'x.lock');
    await writeFile(lock, `${await deadPid()}\n`);
    expect(await withFileLock(lock, async () => 'dead owner')).toBe('dead owner');
    await writeFile(lock, `${process.pid}\n`);
    expect(await withFileLock(lock, async () => 'reused pid')).toBe('reused pid');
  });

  it('waits for a live owner, up to the timeout', async () => {
    const lock = join(dir, 'x.lock');
    // The parent of this process (the test runner) is alive and is not us.
    await writeFile(lock, `${process.ppid}\n`);
    await expect(withFileLock(lock, async () => 'never', 100)).rejects.toThrow(/timed out waiting for the lock/);
  });
});
