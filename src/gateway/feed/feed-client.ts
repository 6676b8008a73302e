// A client of the WebSocket feed: receives events, sends commands and awaits their results.
// connectToCore() is how every local client should reach a core: it checks that the core named in the state
// dir's core.json is alive and owns the feed's port before connecting, and again once connected, before the
// token is sent — so a token never goes to whoever took over the port of a core that died.
import { EventEmitter } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import WebSocket from 'ws';
import type { PendingRequest } from '../../core/inbox/pending-request.js';
import { listenerProblem, runningCore } from '../../core/state/core-liveness.js';
import { readToken } from '../../core/state/state-dir.js';
import { MAX_PAGE, type FeedCommand, type FeedEvent, type RequestPage } from './protocol.js';
import { GatewayError } from '../errors.js';

type Distributive<T> = T extends unknown ? Omit<T, 'ref'> : never;
type Hello = Extract<FeedEvent, { type: 'hello' }>;

/** The core applied the decision, but could not write its audit record. `data` is what it applied. */
export class DecisionNotRecordedError extends Error {
  constructor(
    message: string,
    readonly data: unknown,
  ) {
    super(message);
  }
}

export class FeedClient extends EventEmitter<{ event: [FeedEvent]; close: [number, string]; warning: [string] }> {
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
        for (const warning of event.warnings ?? []) this.emit('warning', warning);
        if (event.ok) waiter.resolve(event.data);
        else if (event.applied) waiter.reject(new DecisionNotRecordedError(event.error, event.data));
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

  /**
   * Connects to the running core of a state dir, verified: its pid is alive, ours, and holds the feed's
   * listening socket — checked before connecting and again on the open connection, before the token goes out.
   */
  static async connectToCore(stateDir: string, timeoutMs = 5000): Promise<{ client: FeedClient; hello: Hello }> {
    const core = await runningCore(stateDir);
    if (!core.running) throw new Error(core.reason);
    const token = await readToken(stateDir);
    if (!token) throw new Error(`the core for state dir ${stateDir} has no control token (is it still starting?)`);
    const { pid, ws } = core.info;
    const url = new URL(ws);
    const socket = await openSocket(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port), timeoutMs);
    // The core may have died between the check and the connection, and its port been taken: check again.
    const problem = await listenerProblem(stateDir, pid, ws);
    if (problem) {
      socket.destroy();
      throw new Error(`no core is running for state dir ${stateDir} (core.json names pid ${pid}, ${problem})`);
    }
    return FeedClient.connect(ws, token, timeoutMs, socket);
  }

  /** Connects and resolves with the client and the server's hello. `socket`: an already connected one to use. */
  static connect(url: string, token: string, timeoutMs = 5000, socket?: Socket): Promise<{ client: FeedClient; hello: Hello }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        headers: { authorization: `Bearer ${token}` },
        handshakeTimeout: timeoutMs,
        ...(socket ? { createConnection: () => socket } : {}),
      });
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

  /** Every inbox entry, fetched page by page (a big inbox never arrives as one message). */
  async allRequests(): Promise<PendingRequest[]> {
    const all: PendingRequest[] = [];
    let after: string | undefined;
    do {
      const page: RequestPage = await this.command<RequestPage>({ type: 'requests.page', after, limit: MAX_PAGE });
      all.push(...page.requests);
      after = page.next;
    } while (after);
    return all;
  }

  close(): void {
    this.ws.close();
  }
}

function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connecting to the core at ${host}:${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach the core at ${host}:${port} (${error.message})`));
    });
  });
}
