// Exponential backoff with full jitter for reconnects: 0.5 s doubling to 30 s, each wait a random
// 50–100 % of that, so many consoles do not reconnect in lockstep after a gateway restart.
export class ReconnectBackoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 500,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt++);
    return Math.round(ceiling * (0.5 + this.random() * 0.5));
  }

  reset(): void {
    this.attempt = 0;
  }
}
