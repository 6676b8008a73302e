// Gateway events are buffered outside React and flushed into the store on a short interval: one store
// update per tick instead of one per event keeps the console responsive during event storms.
import type { GatewayEvent } from '../gateway/gateway.js';

export class EventBuffer {
  private pending: GatewayEvent[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly flush: (events: GatewayEvent[]) => void,
    private readonly intervalMs = 50,
  ) {}

  push(event: GatewayEvent): void {
    this.pending.push(event);
    this.timer ??= setTimeout(() => this.drain(), this.intervalMs);
  }

  /** Applies everything buffered now (tests, shutdown). */
  drain(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flush(batch);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
