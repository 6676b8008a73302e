// The inbox: requests no rule allows become pending entries; their connections can be held open while
// the operator decides. Bounded in every direction an agent can push: entries waiting (maxPending), held
// connections (maxHeld), samples and their length, and a held connection whose client goes away gives its
// slot back at once. It knows nothing of policy and announces nothing: the core owns it, resolves its
// holds, and emits one event per change (see core-events.ts).
import {
  clip,
  MAX_NOTE,
  MAX_SAMPLE_METHOD,
  MAX_SAMPLE_PATH,
  MAX_SAMPLES,
  boundedOperation,
  describeOperation,
  type L7Operation,
  operationWarning,
  requestKey,
  UNKNOWN_BINARY,
  unknownBinaryWarning,
  type L7Sample,
  type PendingRequest,
  type RequestStatus,
} from './pending-request.js';

/** How a held connection ended: decided, timed out, the core stopping, the client gone, or never held (full). */
export type HoldOutcome = 'approved' | 'rejected' | 'timeout' | 'shutdown' | 'gone' | 'overflow';

export interface InboxOptions {
  maxHeld: number;
  maxPending: number;
  /** A held connection left on its own (timeout, client gone): the entry's held count changed. */
  onRelease(entry: PendingRequest, outcome: 'timeout' | 'gone'): void;
}

export interface Attempt {
  host: string;
  port: number;
  binary: string;
  reason: string;
  sample?: L7Sample;
  pid?: number;
  /** An L7 operation no rule lists, on a host that is allowed: an entry of its own (see PendingRequest.operation). */
  operation?: L7Operation;
  /** Where that operation was sent (the endpoint's path). */
  operationPath?: string;
}

export type Recorded =
  | { entry: PendingRequest; created: boolean }
  /** A new entry was refused because maxPending entries are waiting; `first` when this starts a bout. */
  | { full: true; first: boolean };

interface Waiter {
  resolve(outcome: HoldOutcome): void;
  timer: NodeJS.Timeout;
  deadline: number;
}

export const PAGE_SIZE = 200;

export class Inbox {
  /** Every entry, in creation order: entry rN is at index N-1 (entries are never removed). */
  private readonly entries: PendingRequest[] = [];
  private readonly byKey = new Map<string, PendingRequest>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private heldTotal = 0;
  private pendingTotal = 0;
  /** While full: how many were refused in this bout. */
  private bout: { refused: number } | undefined;
  /** Requests refused because the inbox was full, since start. */
  refused = 0;
  /** Connections refused at once because maxHeld were already held, since start. */
  heldOverflow = 0;

  constructor(private readonly options: InboxOptions) {}

  /** Folds one attempt into its entry, creating it when there is room. */
  record(attempt: Attempt): Recorded {
    const operation = attempt.operation && boundedOperation(attempt.operation);
    const key = requestKey(attempt.host, attempt.port, attempt.binary, operation);
    const sample = operation && attempt.sample ? { ...attempt.sample, operation: describeOperation(operation) } : attempt.sample;
    const now = Date.now();
    const reason = clip(attempt.reason, MAX_NOTE);
    let entry = this.byKey.get(key);
    if (!entry) {
      if (this.pendingTotal >= this.options.maxPending) {
        this.refused++;
        const first = !this.bout;
        this.bout ??= { refused: 0 };
        this.bout.refused++;
        return { full: true, first };
      }
      entry = {
        id: `r${this.entries.length + 1}`,
        host: attempt.host,
        port: attempt.port,
        binary: attempt.binary,
        pid: attempt.pid,
        firstSeen: now,
        lastSeen: now,
        hits: 1,
        samples: [],
        status: 'pending',
        held: 0,
        reason,
        ...(attempt.binary === UNKNOWN_BINARY ? { warning: unknownBinaryWarning(attempt.host, attempt.port) } : {}),
      };
      if (operation) {
        entry.operation = operation;
        if (attempt.operationPath !== undefined) entry.operationPath = clip(attempt.operationPath, MAX_SAMPLE_PATH);
        entry.warning ??= operationWarning(attempt.host, operation);
      }
      this.entries.push(entry);
      this.byKey.set(key, entry);
      this.pendingTotal++;
      addSample(entry, sample);
      return { entry, created: true };
    }
    entry.hits++;
    entry.lastSeen = now;
    entry.reason = reason;
    if (attempt.pid !== undefined) entry.pid = attempt.pid;
    addSample(entry, sample);
    // A new attempt after a lapse or an un-done approval asks again.
    if (entry.status === 'expired' || entry.status === 'approved') this.setStatus(entry, 'pending');
    return { entry, created: false };
  }

  /** The entry for a destination and binary, if one was recorded. */
  find(host: string, port: number, binary: string): PendingRequest | undefined {
    return this.byKey.get(requestKey(host, port, binary));
  }

  get(id: string): PendingRequest | undefined {
    const n = indexOf(id);
    return n === undefined ? undefined : this.entries[n];
  }

  list(): PendingRequest[] {
    return [...this.entries];
  }

  /** Entries after the one with id `after` (from the first without it), at most `limit`; `next` when more follow. */
  page(after?: string, limit = PAGE_SIZE): { requests: PendingRequest[]; next?: string } {
    const start = after === undefined ? 0 : indexOf(after);
    if (start === undefined) throw new RangeError(`not a request id: '${after}'`);
    const from = after === undefined ? 0 : start + 1;
    const requests = this.entries.slice(from, from + limit);
    const more = from + limit < this.entries.length;
    return more ? { requests, next: requests[requests.length - 1].id } : { requests };
  }

  get size(): number {
    return this.entries.length;
  }

  get pendingCount(): number {
    return this.pendingTotal;
  }

  get heldCount(): number {
    return this.heldTotal;
  }

  /**
   * Holds a connection until the entry is decided, the timeout passes or `signal` aborts (the client went
   * away). Resolves 'overflow' at once, without holding, when maxHeld connections are already held.
   */
  hold(entry: PendingRequest, timeoutMs: number, signal?: AbortSignal): Promise<HoldOutcome> {
    if (signal?.aborted) return Promise.resolve('gone');
    if (this.heldTotal >= this.options.maxHeld) {
      this.heldOverflow++;
      return Promise.resolve('overflow');
    }
    return new Promise((resolve) => {
      const deadline = Date.now() + timeoutMs;
      const onAbort = () => waiter.resolve('gone');
      const waiter: Waiter = {
        deadline,
        resolve: (outcome) => {
          clearTimeout(waiter.timer);
          signal?.removeEventListener('abort', onAbort);
          const set = this.waiters.get(entry.id);
          if (!set?.delete(waiter)) return;
          if (set.size === 0) this.waiters.delete(entry.id);
          this.heldTotal--;
          entry.held--;
          entry.holdDeadline = set.size > 0 ? Math.min(...[...set].map((w) => w.deadline)) : undefined;
          if (outcome === 'timeout') entry.timedOutAt = Date.now();
          resolve(outcome);
          if (outcome === 'timeout' || outcome === 'gone') this.options.onRelease(entry, outcome);
        },
        timer: setTimeout(() => waiter.resolve('timeout'), timeoutMs),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let set = this.waiters.get(entry.id);
      if (!set) this.waiters.set(entry.id, (set = new Set()));
      set.add(waiter);
      this.heldTotal++;
      entry.held++;
      entry.holdDeadline = Math.min(entry.holdDeadline ?? Infinity, deadline);
    });
  }

  /** Marks an entry decided and releases its held connections with the matching outcome. */
  decide(entry: PendingRequest, status: 'approved' | 'rejected', by: string, note?: string): void {
    this.setStatus(entry, status);
    entry.decidedAt = Date.now();
    entry.decidedBy = by;
    entry.decisionNote = note === undefined ? undefined : clip(note, MAX_NOTE);
    this.release(entry, status);
  }

  /** Sets an entry back to pending (an approval was undone) or expired (it lapsed). */
  reopen(entry: PendingRequest, status: 'pending' | 'expired' = 'pending'): void {
    this.setStatus(entry, status);
    entry.expiresAt = undefined;
  }

  /**
   * When the inbox was full and has room again: how many were refused while it was full (the bout ends).
   * Undefined otherwise.
   */
  takeEndedBout(): number | undefined {
    if (!this.bout || this.pendingTotal >= this.options.maxPending) return undefined;
    const { refused } = this.bout;
    this.bout = undefined;
    return refused;
  }

  /** Releases every held connection (shutdown): they are denied. */
  releaseAll(): void {
    for (const entry of this.entries) this.release(entry, 'shutdown');
  }

  private setStatus(entry: PendingRequest, status: RequestStatus) {
    if (entry.status === status) return;
    if (entry.status === 'pending') this.pendingTotal--;
    if (status === 'pending') this.pendingTotal++;
    entry.status = status;
  }

  private release(entry: PendingRequest, outcome: HoldOutcome) {
    const set = this.waiters.get(entry.id);
    if (set) for (const waiter of [...set]) waiter.resolve(outcome);
  }
}

function indexOf(id: string): number | undefined {
  const m = /^r([1-9]\d{0,15})$/.exec(id);
  return m ? Number(m[1]) - 1 : undefined;
}

function addSample(entry: PendingRequest, sample?: L7Sample) {
  if (!sample) return;
  const kept: L7Sample = { method: clip(sample.method, MAX_SAMPLE_METHOD), path: clip(sample.path, MAX_SAMPLE_PATH) };
  if (sample.operation !== undefined) kept.operation = sample.operation; // made from a bounded operation
  if (entry.samples.some((s) => s.method === kept.method && s.path === kept.path && s.operation === kept.operation)) return;
  entry.samples.unshift(kept);
  if (entry.samples.length > MAX_SAMPLES) entry.samples.length = MAX_SAMPLES;
}
