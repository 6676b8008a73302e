// A bounded ring of recent log lines: the console and feed read it; memory never grows past capacity
// (lines and their length: messages often quote what an agent sent), and adding a line is O(1) however
// full the ring is.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * What a line is about, for the operator's event stream (the logs screen filters by it): a new request, a
 * held connection that timed out, a decision, a denial, a TLS or upstream failure, a policy or preset
 * change, a notice (inbox full, audit failing), or anything else.
 */
export type LogKind = 'request' | 'timeout' | 'decision' | 'denial' | 'tls' | 'upstream' | 'policy' | 'notice' | 'other';
export const LOG_KINDS: readonly LogKind[] = ['request', 'timeout', 'decision', 'denial', 'tls', 'upstream', 'policy', 'notice', 'other'];

export interface LogLine {
  seq: number;
  time: number;
  level: LogLevel;
  source: string;
  message: string;
  /** Absent on lines from before kinds, or from gateways that do not say: see logKindOf. */
  kind?: LogKind;
}

/** A line's kind: its own, else what its source says it is about. */
export function logKindOf(line: Pick<LogLine, 'kind' | 'source' | 'message'>): LogKind {
  if (line.kind) return line.kind;
  switch (line.source) {
    case 'decision':
      return 'decision';
    case 'policy':
    case 'presets':
    case 'preset':
    case 'merge':
      return line.message.startsWith('denied ') ? 'denial' : 'policy';
    case 'inbox':
    case 'audit':
      return 'notice';
    default:
      return 'other';
  }
}

/** Longest message kept (the rest is cut, marked with …). */
export const MAX_LOG_MESSAGE = 1024;

export class LogBuffer {
  private readonly ring: Array<LogLine | undefined>;
  private next = 0;
  private size = 0;
  private seq = 0;

  constructor(private readonly capacity = 5000) {
    this.ring = new Array(capacity);
  }

  push(level: LogLevel, source: string, message: string, kind?: LogKind): LogLine {
    const kept = message.length <= MAX_LOG_MESSAGE ? message : `${message.slice(0, MAX_LOG_MESSAGE - 1)}…`;
    const line: LogLine = { seq: ++this.seq, time: Date.now(), level, source, message: kept, ...(kind ? { kind } : {}) };
    this.ring[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
    return line;
  }

  /** Lines after a sequence number, oldest first (for resuming a stream without duplicates). */
  since(seq = 0): LogLine[] {
    const out: LogLine[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const line = this.ring[(start + i) % this.capacity]!;
      if (line.seq > seq) out.push(line);
    }
    return out;
  }
}
