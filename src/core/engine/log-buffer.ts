// A bounded ring of recent log lines: the console and feed read it; memory never grows past capacity.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  seq: number;
  time: number;
  level: LogLevel;
  source: string;
  message: string;
}

export class LogBuffer {
  private readonly lines: LogLine[] = [];
  private seq = 0;

  constructor(private readonly capacity = 5000) {}

  push(level: LogLevel, source: string, message: string): LogLine {
    const line = { seq: ++this.seq, time: Date.now(), level, source, message };
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
    return line;
  }

  /** Lines after a sequence number (for resuming a stream without duplicates). */
  since(seq = 0): LogLine[] {
    return this.lines.filter((l) => l.seq > seq);
  }
}
