// Crash-safe file replacement: readers (and a restart after kill -9 or power loss) see the old content or
// the new one, never a mix or a truncated file. rename(2) within one directory is atomic; the fsyncs make the
// data reach the disk before the name points at it, and make the new name itself durable.
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncDirectory } from './sync-directory.js';

// Temp names: `.<target>.<pid>.<12 hex>.atomic-tmp`, hidden, in the target's directory (a rename across
// file systems would not be atomic). The pid lets cleanup tell a crashed writer's leftovers from a live one's.
const SUFFIX = '.atomic-tmp';
const TEMP_NAME = /^\..*\.(\d+)\.[0-9a-f]{12}\.atomic-tmp$/;
// Keeps the temp name under NAME_MAX (255) whatever the target's name.
const MAX_STEM = 160;

// Temp files this process is writing right now, shared across copies of this module (test runners and
// bundlers may load it twice) so cleanup in the same process never deletes a write in flight.
const inFlight: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for('openshell-term.atomic-write.in-flight')] ??=
  new Set<string>()) as Set<string>;

export interface AtomicWriteOptions {
  /** Permission bits of the new file, applied exactly (not filtered by the umask). Default 0o600. */
  mode?: number;
}

/**
 * Write-then-rename: temp file in the same directory (unique name), write, fsync, rename over the target,
 * fsync the directory. Mode default 0o600. On failure the temp file is removed and the old file is untouched.
 * The target's old mode and owner are not kept; a symlink at the target is replaced, not followed. If only the
 * final directory fsync fails, the new content is already in place but the call still rejects (not yet durable).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const mode = options.mode ?? 0o600;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new RangeError(`invalid file mode: ${mode}`);
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path).slice(0, MAX_STEM)}.${process.pid}.${randomBytes(6).toString('hex')}${SUFFIX}`);
  inFlight.add(temp);
  let handle: FileHandle | undefined;
  let renamed = false;
  try {
    // Exclusive create, and private while half-written whatever mode was asked for.
    handle = await open(temp, 'wx', 0o600);
    await handle.writeFile(data);
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
    renamed = true;
    await syncDirectory(dir);
  } catch (error) {
    if (handle) await handle.close().catch(() => undefined);
    if (!renamed) await unlink(temp).catch(() => undefined);
    throw error;
  } finally {
    inFlight.delete(temp);
  }
}

/**
 * Removes stale temp files left by a crash (call at startup for a directory). A temp file is stale when the
 * process that made it is gone, or it is this process's and no write of ours is using it (a previous process
 * with the same pid, as happens in containers). Returns how many were removed; a missing directory is 0.
 */
export async function cleanupTempFiles(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let removed = 0;
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (!match) continue;
    const file = join(dir, name);
    const pid = Number(match[1]);
    if (pid === process.pid ? inFlight.has(file) : processAlive(pid)) continue;
    try {
      await unlink(file);
      removed++;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return removed;
}

function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
