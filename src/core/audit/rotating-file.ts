// An append-only file of whole lines that rotates by size: path → path.1 → … → path.<keep>, oldest dropped.
// Reopening appends to what is there, so a restart continues the same log. Only one process may write a
// given path (the core owns its state directory).
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { ftruncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { syncDirectory } from '../fs/sync-directory.js';

export interface RotatingFileOptions {
  /** Rotate before an append would take the file past this many bytes (a single longer chunk gets a file to itself). */
  maxBytes: number;
  /** Rotated files kept (path.1 … path.<keep>); 0 keeps none. */
  keep: number;
  /** A rotation failed (told once until one succeeds); appends carry on into whichever file is open. */
  onRotateError?: (error: Error) => void;
}

export class RotatingFile {
  private rotationFailing = false;

  private constructor(
    readonly path: string,
    private handle: FileHandle | undefined,
    private size: number,
    // Character devices, pipes (/dev/stdout, a FIFO to a collector) are written to but never rotated or truncated.
    private readonly regular: boolean,
    private readonly options: RotatingFileOptions,
  ) {}

  static async open(path: string, options: RotatingFileOptions): Promise<RotatingFile> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const { handle, size, regular } = await openForAppend(path);
    let file: RotatingFile;
    try {
      // A crash mid-append can leave a torn last line; end it, so the next record starts a line of its own
      // (the fragment is kept: an audit log does not silently lose bytes).
      const torn = regular && size > 0 && (await lastByte(path, size)) !== 0x0a;
      if (torn) await writeAll(handle, Buffer.from('\n'));
      file = new RotatingFile(path, handle, torn ? size + 1 : size, regular, options);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return file;
  }

  /** Bytes that still fit before the next rotation (Infinity when the file never rotates). */
  room(): number {
    return this.regular ? this.options.maxBytes - this.size : Infinity;
  }

  /**
   * Appends a chunk of whole lines, rotating first when it would not fit. On an I/O error a partial write is
   * cut off again. Calls must not overlap (the audit log has one writer loop).
   */
  async append(chunk: Buffer): Promise<void> {
    if (this.regular && this.size > 0 && this.size + chunk.length > this.options.maxBytes) await this.rotate();
    if (!this.handle) await this.reopen();
    const handle = this.handle!;
    try {
      // A regular file is appended to in place: landing a batch in the page cache takes microseconds, less
      // than the thread-pool round trip (two thread wake-ups and an event-loop wake) an async write costs.
      // Pipes and devices keep async writes, as a slow reader there would stall the proxy.
      if (this.regular) writeAllSync(handle.fd, chunk);
      else await writeAll(handle, chunk);
    } catch (error) {
      // ENOSPC and the like can land half a chunk; cut back to the last whole line we know of.
      if (this.regular) await handle.truncate(this.size).catch(() => undefined);
      throw error;
    }
    this.size += chunk.length;
  }

  /** Whether appendSync() can write now: a regular file that is open (pipes and devices are written asynchronously). */
  canAppendSync(): boolean {
    return this.regular && this.handle !== undefined;
  }

  /**
   * Appends whole lines at once, without rotating first (the next append() rotates): for records that must
   * be in the file before the caller goes on (audit first, then apply). On an I/O error a partial write is
   * cut off again and the error is thrown. Only when canAppendSync().
   */
  appendSync(chunk: Buffer): void {
    const handle = this.handle;
    if (!this.regular || !handle) throw new Error(`${this.path} is not open for writing`);
    try {
      writeAllSync(handle.fd, chunk);
    } catch (error) {
      try {
        ftruncateSync(handle.fd, this.size);
      } catch {
        // The error that matters is the write's.
      }
      throw error;
    }
    this.size += chunk.length;
  }

  /** Data appended so far reaches the disk. */
  async sync(): Promise<void> {
    if (this.regular && this.handle) await this.handle.datasync();
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (!handle) return;
    try {
      if (this.regular) await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async rotate(): Promise<void> {
    const { path, options } = this;
    try {
      await this.close();
      if (options.keep > 0) {
        await ignoreMissing(unlink(`${path}.${options.keep}`));
        for (let i = options.keep - 1; i >= 1; i--) await ignoreMissing(rename(`${path}.${i}`, `${path}.${i + 1}`));
        await rename(path, `${path}.1`);
      } else {
        await ignoreMissing(unlink(path));
      }
      await this.reopen();
      await syncDirectory(dirname(path));
      this.rotationFailing = false;
    } catch (error) {
      if (!this.rotationFailing) options.onRotateError?.(error as Error);
      this.rotationFailing = true;
    }
  }

  private async reopen(): Promise<void> {
    const { handle, size } = await openForAppend(this.path);
    this.handle = handle;
    this.size = size;
  }
}

async function openForAppend(path: string): Promise<{ handle: FileHandle; size: number; regular: boolean }> {
  // O_APPEND: every write lands at the end, whatever the handle's position.
  const handle = await open(path, 'a', 0o600);
  try {
    const stat = await handle.stat();
    return { handle, size: stat.isFile() ? stat.size : 0, regular: stat.isFile() };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function lastByte(path: string, size: number): Promise<number | undefined> {
  const handle = await open(path, 'r');
  try {
    const byte = Buffer.alloc(1);
    const { bytesRead } = await handle.read(byte, 0, 1, size - 1);
    return bytesRead === 1 ? byte[0] : undefined;
  } finally {
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

function writeAllSync(fd: number, chunk: Buffer): void {
  for (let offset = 0; offset < chunk.length; ) offset += writeSync(fd, chunk, offset, chunk.length - offset);
}

async function ignoreMissing(operation: Promise<void>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
