// What the HTTP/1.1 engine's parts need of one another, as interfaces in a leaf module: a client connection
// owns its exchanges, an exchange rides an upstream connection, an upstream connection reports back to the
// exchange it carries. Each part imports these shapes, never another part's module, so there are no cycles.
import type { Socket } from 'node:net';
import type { MessageHead } from './llhttp.js';

/** Why a client connection is not being read (it reads only when no reason holds). */
export type PauseReason = 'held-body' | 'upstream-full' | 'queued' | 'upgrade';

/** How far one exchange has come, as its client connection sees it. */
export interface ExchangeProgress {
  readonly head: MessageHead;
  readonly requestComplete: boolean;
  readonly responseComplete: boolean;
  readonly responseStarted: boolean;
  /** The connection ends after this exchange (a close-delimited answer, an upgrade request). */
  readonly closesConnection: boolean;
}

/** What an exchange needs of its client connection. */
export interface ClientSide {
  readonly socket: Socket;
  pauseReading(reason: PauseReason, on: boolean): void;
  keepsAlive(exchange: ExchangeProgress): boolean;
  write(data: string | Buffer): boolean;
  onceDrained(resume: () => void): void;
  /** Called as either half of an exchange completes; the connection moves on once both have. */
  settled(exchange: ExchangeProgress): void;
  /** The connection ends after the response being answered. */
  closeAfterResponse(): void;
  /** Cuts the connection (an answer that cannot be finished). */
  abort(): void;
  /** After a 101: the connection stops being HTTP; returns its socket and the bytes the client sent behind the upgrade request. */
  handOver(exchange: ExchangeProgress): { socket: Socket; early: Buffer };
}

/** How the body of a response head arrives (see ResponseSink.responseHead). */
export type ResponseBody = undefined | 'no-body' | number | 'upgrade' | { refuse: string };

/** What an upstream connection needs of the exchange it carries. */
export interface ResponseSink {
  readonly connection: ClientSide;
  /** The upstream connection may serve another exchange after this one (whole request sent, no upgrade asked). */
  readonly reusable: boolean;
  /**
   * Sends the response head on. Returns how its body arrives: 'no-body'; a byte count the upstream
   * connection forwards as read (Content-Length, no parser); undefined (the parser delivers it); 'upgrade'
   * (a 101 this exchange asked for); or a refusal (the head cannot be forwarded: the answer is a 502).
   */
  responseHead(head: MessageHead): ResponseBody;
  /** A body chunk; false when the client is full (the upstream waits for it to drain). */
  responseBody(chunk: Buffer): boolean;
  /** The response ended; false for an interim (1xx) one, after which the real answer follows. */
  responseEnd(statusCode: number): boolean;
  upstreamFailed(error: NodeJS.ErrnoException, reused: boolean): void;
  /** The upstream switched protocols: `socket` is the exchange's from now on; `overflow` came behind the 101. */
  upgraded(head: MessageHead, socket: Socket, overflow: Buffer): void;
}

/** What an exchange needs of the upstream connection carrying it. */
export interface UpstreamLink {
  begin(sink: ResponseSink): void;
  write(data: string | Buffer): boolean;
  onceDrained(resume: () => void): void;
  /** Closes it: never reused. */
  destroy(): void;
}

/** TLS to an upstream, verified against this name. */
export interface UpstreamTls {
  servername?: string;
}

/** Where exchanges get upstream connections. */
export interface UpstreamSource {
  /** An idle connection to that destination, or a new one (`fresh` skips the idle ones). */
  acquire(address: string, port: number, tls?: UpstreamTls, fresh?: boolean): UpstreamLink;
}

/** What an upstream connection needs of the pool it belongs to. */
export interface PoolMembership<Connection> {
  release(connection: Connection): void;
  forget(connection: Connection): void;
}
