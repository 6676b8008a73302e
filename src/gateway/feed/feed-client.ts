// A client of the WebSocket feed: receives events, sends commands and awaits their results.
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { GatewayError } from '../errors.js';
import type { FeedCommand, FeedEvent } from './protocol.js';

type Distributive<T> = T extends unknown ? Omit<T, 'ref'> : never;

export class FeedClient extends EventEmitter<{ event: [FeedEvent]; close: [number, string] }> {
  private nextRef = 1;
  private readonly waiting = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();

  private constructor(private readonly ws: WebSocket) {
    super();
    ws.on('message', (data) => {
      let event: FeedEvent;
      try {
        event = JSON.parse(data.toString()) as FeedEvent;
      } catch {
        return;
      }
      if (event.type === 'result' && event.ref && this.waiting.has(event.ref)) {
        const waiter = this.waiting.get(event.ref)!;
        this.waiting.delete(event.ref);
        if (event.ok) waiter.resolve(event.data);
        else waiter.reject(new GatewayError(event.code ?? 'internal', event.error));
        return;
      }
      this.emit('event', event);
    });
    ws.on('close', (code, reason) => {
      for (const waiter of this.waiting.values()) waiter.reject(new GatewayError('unavailable', 'feed connection closed'));
      this.waiting.clear();
      this.emit('close', code, reason.toString());
    });
  }

  /** Connects and resolves with the client and the server's hello snapshot. */
  static connect(
    url: string,
    token: string,
    timeoutMs = 5000,
  ): Promise<{ client: FeedClient; hello: Extract<FeedEvent, { type: 'hello' }> }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, handshakeTimeout: timeoutMs });
      const client = new FeedClient(ws);
      const fail = (error: Error) => reject(error);
      ws.once('error', fail);
      ws.once('unexpected-response', (_req, res) =>
        reject(
          new GatewayError(
            res.statusCode === 401 ? 'unauthenticated' : 'unavailable',
            `feed refused the connection: HTTP ${res.statusCode}`,
          ),
        ),
      );
      client.once('event', (event) => {
        ws.off('error', fail);
        ws.on('error', () => {});
        if (event.type === 'hello') resolve({ client, hello: event });
        else reject(new Error(`expected hello, got ${event.type}`));
      });
    });
  }

  command<T = unknown>(command: Distributive<FeedCommand>): Promise<T> {
    const ref = String(this.nextRef++);
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(ref, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ ...command, ref }));
    });
  }

  close(): void {
    this.ws.close();
  }
}
