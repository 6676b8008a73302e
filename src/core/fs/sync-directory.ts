// fsync on a directory: what makes a rename or a new name in it survive a power loss (the file's own fsync
// covers its data, not the directory entry pointing at it).
import { open } from 'node:fs/promises';

/** Makes recent renames and creations in `dir` durable. Windows cannot open a directory for syncing; skipped there. */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems do not support fsync on a directory; the rename itself has still happened.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') throw error;
  } finally {
    await handle.close();
  }
}
