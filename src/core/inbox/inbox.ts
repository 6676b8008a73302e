// The inbox: requests no rule allows become pending entries; their connections can be held open while
// the operator decides, bounded in count and time. It knows nothing of policy — the core resolves holds.
import { EventEmitter } from 'node:events';
import { MAX_SAMPLES, requestKey, type L7Sample, type PendingRequest, type RequestStatus } from './pending-request.js';

export type HoldOutcome = 'approved' | 'rejected' | 'timeout' | 'shutdown';

export interface InboxEvents {
  pending: [PendingRequest];
  updated: [PendingRequest];
}

interface Waiter {
  resolve(outcome: HoldOutcome): void;
  timer: NodeJS.Timeout;
  deadline: number;
}

export class Inbox extends EventEmitter<InboxEvents> {
  private readonly byKey = new Map<string, PendingRequest>();
  private readonly byId = new Map<string, PendingRequest>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private heldTotal = 0;
  private nextId = 1;
  /** Connections denied at once because maxHeld was reached. */
  overflowDenied = 0;

  constructor(private readonly maxHeld = 256) {
    super();
  }

  /** Folds one attempt into its entry (creating it), and returns the entry. */
  record(host: string, port: number, binary: string, reason: string, sample?: L7Sample, pid?: number): PendingRequest {
    const key = requestKey(host, port, binary);
    const now = Date.now();
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = {
        id: `r${this.nextId++}`,
        host,
        port,
        binary,
        pid,
        firstSeen: now,
        lastSeen: now,
        hits: 1,
        samples: [],
        status: 'pending',
        held: 0,
        reason,
      };
      this.byKey.set(key, entry);
      this.byId.set(entry.id, entry);
      addSample(entry, sample);
      this.emit('pending', entry);
      return entry;
    }
    entry.hits++;
    entry.lastSeen = now;
    entry.reason = reason;
    if (pid !== undefined) entry.pid = pid;
    addSample(entry, sample);
    // A new attempt after a lapse or an un-done approval asks again.
    if (entry.status === 'expired' || entry.status === 'approved') entry.status = 'pending';
    this.emit('updated', entry);
    return entry;
  }

  get(id: string): PendingRequest | undefined {
    return this.byId.get(id);
  }

  findByKey(host: string, port: number, binary: string): PendingRequest | undefined {
    return this.byKey.get(requestKey(host, port, binary));
  }

  list(): PendingRequest[] {
    return [...this.byId.values()];
  }

  get heldCount(): number {
    return this.heldTotal;
  }

  /**
   * Holds a connection until the entry is decided or the timeout passes. Resolves 'timeout' at once
   * (without holding) when too many connections are already held.
   */
  hold(entry: PendingRequest, timeoutMs: number): Promise<HoldOutcome> {
    if (timeoutMs <= 0) return Promise.resolve('timeout');
    if (this.heldTotal >= this.maxHeld) {
      this.overflowDenied++;
      return Promise.resolve('timeout');
    }
    return new Promise((resolve) => {
      const deadline = Date.now() + timeoutMs;
      const waiter: Waiter = {
        deadline,
        resolve: (outcome) => {
          clearTimeout(waiter.timer);
          const set = this.waiters.get(entry.id);
          if (!set?.delete(waiter)) return;
          this.heldTotal--;
          entry.held--;
          entry.holdDeadline = set.size > 0 ? Math.min(...[...set].map((w) => w.deadline)) : undefined;
          resolve(outcome);
          this.emit('updated', entry);
        },
        timer: setTimeout(() => waiter.resolve('timeout'), timeoutMs),
      };
      let set = this.waiters.get(entry.id);
      if (!set) this.waiters.set(entry.id, (set = new Set()));
      set.add(waiter);
      this.heldTotal++;
      entry.held++;
      entry.holdDeadline = Math.min(entry.holdDeadline ?? Infinity, deadline);
      this.emit('updated', entry);
    });
  }

  /** Marks an entry decided and releases its held connections with the matching outcome. */
  decide(entry: PendingRequest, status: Exclude<RequestStatus, 'pending'>, by: string, note?: string): void {
    entry.status = status;
    entry.decidedAt = Date.now();
    entry.decidedBy = by;
    entry.decisionNote = note;
    this.release(entry, status === 'approved' ? 'approved' : 'rejected');
    this.emit('updated', entry);
  }

  /** Sets an entry back to pending (an approval was undone or lapsed). */
  reopen(entry: PendingRequest, status: 'pending' | 'expired' = 'pending'): void {
    entry.status = status;
    entry.expiresAt = undefined;
    this.emit('updated', entry);
  }

  /** Releases every held connection (shutdown): they are denied. */
  releaseAll(): void {
    for (const entry of this.byId.values()) this.release(entry, 'shutdown');
  }

  private release(entry: PendingRequest, outcome: HoldOutcome) {
    for (const waiter of [...(this.waiters.get(entry.id) ?? [])]) waiter.resolve(outcome);
  }
}

function addSample(entry: PendingRequest, sample?: L7Sample) {
  if (!sample) return;
  if (entry.samples.some((s) => s.method === sample.method && s.path === sample.path)) return;
  entry.samples.unshift(sample);
  if (entry.samples.length > MAX_SAMPLES) entry.samples.length = MAX_SAMPLES;
}
