// The audit log: every decision and every operator change as one OCSF JSON line (mapping in ocsf.ts, privacy
// rule in redact.ts), appended to a size-rotated file (rotating-file.ts).
//
// The proxy calls network() on its hot path, so recording never waits for the disk: events are formatted at
// once (their time is when they happened), queued, and written by one background loop that batches whatever
// has accumulated. Every batch is written at once, so a crashed or killed core loses nothing it recorded (the
// kernel has it); fdatasync, which only matters if the machine itself goes down, runs at most once per
// syncEveryMs (like Redis's appendfsync everysec): syncing every batch cost more CPU than the proxying.
//
// Operator changes are recorded the other way round, with recordNow(): written before it returns (audit first,
// then apply), so a change is never in force without its record, and the caller learns at once whether the
// record was written. Disk trouble never throws into the proxy: a failed write or a queue over its memory
// bound drops those events and counts them in droppedEvents; the log's health (writable or not, since when,
// why) goes to onError once per bout of trouble and to every onHealth listener when it changes, and the
// next write tries again.
import type { ConfigEvent, NetworkEvent } from './audit-events.js';
import { entityManagement, networkActivityJson } from './ocsf.js';
import { RotatingFile } from './rotating-file.js';

export type { ConfigEvent, NetworkEvent } from './audit-events.js';

export interface AuditLogOptions {
  /** Rotate when the file would grow past this (default 10 MiB). */
  maxBytes?: number;
  /** Rotated files kept: audit.jsonl.1 (newest) … audit.jsonl.<keep> (default 5). */
  keep?: number;
  /** Queued-but-unwritten events beyond this many bytes are dropped rather than held in memory (default 64 MiB). */
  maxBufferedBytes?: number;
  /** fdatasync at most this often, and on flush() and close() (default 1000): the most a power loss can take. */
  syncEveryMs?: number;
  /** Told when writing starts failing (and when a rotation fails); never called more than once per bout. */
  onError?: (error: Error) => void;
}

/** Whether the log is being written: what a console shows as a banner and --audit-required acts on. */
export interface AuditState {
  writable: boolean;
  /** The error that made the last write fail, while not writable. */
  error?: Error;
  /** When writing started failing (ms epoch), while not writable. */
  since?: number;
  /** Events lost so far (failed writes, a full queue, after close). */
  lost: number;
}

export type RecordResult = { ok: true } | { ok: false; error: Error };

const MiB = 1024 * 1024;
// Bytes per write(2): big enough to amortise, small enough not to build huge strings from a long backlog.
const CHUNK = MiB;

export class AuditLog {
  private pending: string[] = [];
  /** UTF-8 size of each pending line, measured once when it is recorded. */
  private pendingSizes: number[] = [];
  private pendingBytes = 0;
  private draining: Promise<void> | undefined;
  private scheduled = false;
  private closing: Promise<void> | undefined;
  private dropped = 0;
  private failing = false;
  private failure: { error: Error; since: number } | undefined;
  private readonly healthListeners = new Set<(state: AuditState) => void>();
  private overflowing = false;
  private unsynced = false;
  private syncDue = false;
  private lastSync = -Infinity;
  private syncTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly file: RotatingFile,
    private readonly maxBytes: number,
    private readonly maxBufferedBytes: number,
    private readonly syncEveryMs: number,
    private readonly onError: ((error: Error) => void) | undefined,
  ) {}

  static async open(path: string, options: AuditLogOptions = {}): Promise<AuditLog> {
    const maxBytes = options.maxBytes ?? 10 * MiB;
    const keep = options.keep ?? 5;
    const maxBufferedBytes = options.maxBufferedBytes ?? 64 * MiB;
    const syncEveryMs = options.syncEveryMs ?? 1000;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1)
      throw new RangeError(`audit log maxBytes must be a positive integer, not ${maxBytes}`);
    if (!Number.isSafeInteger(keep) || keep < 0) throw new RangeError(`audit log keep must be a non-negative integer, not ${keep}`);
    if (!Number.isFinite(syncEveryMs) || syncEveryMs < 0)
      throw new RangeError(`audit log syncEveryMs must be a non-negative number, not ${syncEveryMs}`);
    let log: AuditLog | undefined;
    const file = await RotatingFile.open(path, { maxBytes, keep, onRotateError: (error) => log?.report(error) });
    log = new AuditLog(file, maxBytes, maxBufferedBytes, syncEveryMs, options.onError);
    return log;
  }

  /** Events lost to I/O errors, a full queue, or arriving after close(). */
  get droppedEvents(): number {
    return this.dropped;
  }

  get health(): AuditState {
    return this.failure
      ? { writable: false, error: this.failure.error, since: this.failure.since, lost: this.dropped }
      : { writable: true, lost: this.dropped };
  }

  /** Calls `listener` whenever the log stops or starts being writable; returns the unsubscribe. */
  onHealth(listener: (state: AuditState) => void): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  /**
   * Writes operator changes before returning (audit first, then apply): ok once the kernel has them, so a
   * kill -9 right after cannot lose them. A log that is not a regular file (a pipe, a device) cannot be
   * written synchronously; there the records are queued like any other and `ok` says whether the log is
   * writable as far as is known.
   */
  recordNow(events: readonly ConfigEvent[]): RecordResult {
    if (this.closing) {
      this.dropped += events.length;
      return { ok: false, error: new Error('the audit log is closed') };
    }
    let text = '';
    try {
      const time = Date.now();
      for (const event of events) text += `${JSON.stringify(entityManagement(event, time))}\n`;
    } catch (error) {
      this.dropped += events.length;
      this.report(error as Error);
      return { ok: false, error: error as Error };
    }
    if (!this.file.canAppendSync()) {
      for (const line of text.split('\n').slice(0, -1)) this.record(() => line);
      return this.failure ? { ok: false, error: this.failure.error } : { ok: true };
    }
    try {
      this.file.appendSync(Buffer.from(text));
    } catch (error) {
      this.dropped += events.length;
      this.fail(error as Error);
      return { ok: false, error: error as Error };
    }
    this.succeeded();
    this.unsynced = true;
    this.schedule();
    return { ok: true };
  }

  /** Records a proxy decision; returns at once. */
  network(event: NetworkEvent): void {
    this.record(() => networkActivityJson(event, Date.now()));
  }

  /** Records an operator's change; returns at once. */
  config(event: ConfigEvent): void {
    this.record(() => JSON.stringify(entityManagement(event, Date.now())));
  }

  /** Resolves when every event recorded before the call is written and synced (or counted as dropped). */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.draining) await (this.draining ?? this.drain());
    if (this.unsynced) {
      this.syncDue = true;
      await this.drain();
    }
  }

  /** Flushes and closes the file; later events are dropped. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.flush();
      clearTimeout(this.syncTimer);
      try {
        await this.file.close();
      } catch (error) {
        this.report(error as Error);
      }
    })();
    return this.closing;
  }

  /** `build` returns the event's JSON (one line, no newline). */
  private record(build: () => string): void {
    if (this.closing) {
      this.dropped++;
      return;
    }
    let line: string;
    try {
      line = `${build()}\n`;
    } catch (error) {
      // A malformed event from a caller must not throw into the proxy.
      this.dropped++;
      this.report(error as Error);
      return;
    }
    const size = Buffer.byteLength(line);
    if (this.pendingBytes + size > this.maxBufferedBytes) {
      this.dropped++;
      if (!this.overflowing) {
        this.overflowing = true;
        this.report(new Error(`audit log queue over ${this.maxBufferedBytes} bytes: dropping events until the disk catches up`));
      }
      return;
    }
    this.pending.push(line);
    this.pendingSizes.push(size);
    this.pendingBytes += size;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate rather than a microtask: a burst of events from one tick goes out as one batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private drain(): Promise<void> {
    this.draining ??= (async () => {
      while (this.pending.length > 0) {
        const batch = this.pending;
        const sizes = this.pendingSizes;
        this.pending = [];
        this.pendingSizes = [];
        this.pendingBytes = 0;
        this.overflowing = false;
        await this.writeBatch(batch, sizes);
      }
      if (this.unsynced && (this.syncDue || performance.now() - this.lastSync >= this.syncEveryMs)) await this.sync();
      else if (this.unsynced) this.syncTimer ??= setTimeout(() => this.syncLater(), this.syncEveryMs).unref();
    })().finally(() => {
      this.draining = undefined;
      // An event that arrived while the loop was finishing (or a sync that fell due) must not wait for the next one.
      if (this.pending.length > 0 || (this.unsynced && this.syncDue)) this.schedule();
    });
    return this.draining;
  }

  private syncLater(): void {
    this.syncTimer = undefined;
    this.syncDue = true;
    if (!this.draining) this.schedule();
  }

  private async sync(): Promise<void> {
    this.unsynced = false;
    this.syncDue = false;
    this.lastSync = performance.now();
    clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    try {
      await this.file.sync();
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private async writeBatch(batch: string[], sizes: number[]): Promise<void> {
    let wrote = false;
    for (let i = 0; i < batch.length; ) {
      // Fill what is left of the current file, so files stay under maxBytes; a fresh one takes up to maxBytes.
      const room = this.file.room();
      const limit = Math.min(room > 0 ? room : this.maxBytes, CHUNK);
      const start = i;
      let bytes = 0;
      while (i < batch.length) {
        if (i > start && bytes + sizes[i] > limit) break;
        bytes += sizes[i];
        i++;
      }
      // Each line is encoded straight into the chunk: one copy, no joined string in between.
      const chunk = Buffer.allocUnsafe(bytes);
      for (let j = start, offset = 0; j < i; j++) offset += chunk.write(batch[j], offset);
      try {
        await this.file.append(chunk);
        wrote = true;
        this.succeeded();
      } catch (error) {
        this.dropped += i - start;
        this.fail(error as Error);
      }
    }
    if (wrote) this.unsynced = true;
  }

  private fail(error: Error): void {
    if (this.failing) return;
    this.failing = true;
    this.failure = { error, since: Date.now() };
    this.report(error);
    this.tellHealth();
  }

  private succeeded(): void {
    if (!this.failing) return;
    this.failing = false;
    this.failure = undefined;
    this.tellHealth();
  }

  private tellHealth(): void {
    const state = this.health;
    for (const listener of this.healthListeners) {
      try {
        listener(state);
      } catch {
        // A throwing listener must not take the writer loop down with it.
      }
    }
  }

  private report(error: Error): void {
    try {
      this.onError?.(error);
    } catch {
      // A throwing error handler must not take the writer loop down with it.
    }
  }
}
