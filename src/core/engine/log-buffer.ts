// A bounded ring of recent log lines: the console and feed read it; memory never grows past capacity
// (lines and their length: messages often quote what an agent sent), and adding a line is O(1) however
// full the ring is.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  seq: number;
  time: number;
  level: LogLevel;
  source: string;
  message: string;
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

  push(level: LogLevel, source: string, message: string): LogLine {
    const kept = message.length <= MAX_LOG_MESSAGE ? message : `${message.slice(0, MAX_LOG_MESSAGE - 1)}…`;
    const line = { seq: ++this.seq, time: Date.now(), level, source, message: kept };
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
