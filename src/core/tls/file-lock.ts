// An exclusive lock between processes sharing a state directory (two cores starting at once must not each
// write half of a CA). The lock is a file created with O_EXCL holding the owner's pid; a lock whose owner
// has died is stale and taken over. (Taking over is not atomic against a second process doing the same at
// the same instant; a stale lock only exists after a crash in the middle of the locked work.)
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 25;
// A lock file without a pid yet is being created; if it stays empty this long its creator died in between.
const EMPTY_STALE_MS = 10_000;

// Lock files this process holds, so a leftover lock with our own pid (a previous process that had the same
// pid, as in containers) can be told from one we are using.
const held = new Set<string>();

export async function withFileLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  await acquire(path, timeoutMs);
  try {
    return await fn();
  } finally {
    held.delete(path);
    await unlink(path).catch(() => undefined);
  }
}

async function acquire(path: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    // In-process waiters queue here too: the O_EXCL create is the only way in.
    if (!held.has(path)) {
      try {
        const handle = await open(path, 'wx', 0o600);
        held.add(path);
        try {
          await handle.writeFile(`${process.pid}\n`);
        } finally {
          await handle.close();
        }
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (await isStale(path)) {
        await unlink(path).catch(() => undefined);
        continue;
      }
    }
    if (performance.now() > deadline) throw new Error(`timed out waiting for the lock ${path}`);
    await sleep(POLL_MS);
  }
}

async function isStale(path: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    // Released meanwhile: not stale, just try again.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const pid = Number(text.trim());
  if (!text.trim() || !Number.isSafeInteger(pid) || pid <= 0) {
    const info = await stat(path).catch(() => undefined);
    return info !== undefined && Date.now() - info.mtimeMs > EMPTY_STALE_MS;
  }
  if (pid === process.pid) return !held.has(path);
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: alive, someone else's.
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
}
