// How many file descriptors the proxy's sockets may hold: the agents' connections, the upstream sockets
// of their tunnels and requests, and the tunnels the kernel relay carries. Without a bound an agent that
// holds tunnels open (two descriptors each) takes every descriptor the core has, and the operator is
// flooded out: the CLI cannot reach the feed, presets and the audit log cannot be opened. The budget
// is the process's descriptor limit less a reserve for the operator's side (feed, gRPC, files); past it,
// new agent connections are closed at once and new upstream sockets refused, and the core says so at
// most once a minute.
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

/** Descriptors kept for everything but the proxy's sockets: at least 256, or a tenth of the limit. */
export function operatorReserve(limit: number): number {
  return Math.max(256, Math.floor(limit / 10));
}

/** The soft limit on open files (Linux, /proc/self/limits), or undefined where it cannot be read or is unlimited. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const NOTICE_INTERVAL_MS = 60_000;

export class DescriptorBudget {
  private used = 0;
  /** Sockets whose descriptor now belongs to the kernel relay: their close gives nothing back. */
  private readonly moved = new WeakSet<Socket>();
  /** When the operator was last told (performance.now() ms). */
  private toldAt = Number.NEGATIVE_INFINITY;
  /** Connections and upstream sockets refused over the budget, in all. */
  refused = 0;

  constructor(
    readonly limit: number,
    /** Told when refusals start, then at most once a minute while they go on; not per connection. */
    private readonly onRefusing: (budget: DescriptorBudget) => void = () => {},
  ) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes one descriptor for `socket` (given back when it closes); false, and nothing taken, over the budget. */
  hold(socket: Socket): boolean {
    if (!this.take()) return false;
    this.releaseOn(socket);
    return true;
  }

  /** Takes one descriptor for a socket about to be made; false (counted as refused) over the budget. */
  take(): boolean {
    if (this.used < this.limit) {
      this.used++;
      return true;
    }
    this.refused++;
    const now = performance.now();
    if (now - this.toldAt >= NOTICE_INTERVAL_MS) {
      this.toldAt = now;
      this.onRefusing(this);
    }
    return false;
  }

  /** Gives a taken descriptor back when `socket` closes (unless it moved to the kernel relay). */
  releaseOn(socket: Socket): void {
    socket.once('close', () => {
      if (!this.moved.has(socket)) this.release();
    });
  }

  /** The socket's descriptor lives on in the kernel relay after the socket closes; call the result when the relay lets it go. */
  moveToRelay(socket: Socket): () => void {
    this.moved.add(socket);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  private release(): void {
    this.used--;
  }
}
