// One client connection to the proxy: parses its requests with llhttp, answers them strictly in order
// (pipelined ones wait their turn), keeps it alive between requests, and cuts it off when it is too slow
// (the server's sweep calls timedOut()). A CONNECT head hands the socket to the tunnel code as it is.
import type { Socket } from 'node:net';
import { type HttpParseError, MessageParser, type MessageHead } from './llhttp.js';
import { Exchange } from './exchange.js';

export interface ClientConnectionOptions {
  maxHeaderSize: number;
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
}

export interface ConnectionHandlers {
  /** A request is due an answer (the previous ones on this connection are answered). */
  request(exchange: Exchange): void;
  /** A CONNECT head: the socket is the handler's from now on; `head` holds bytes sent after it. */
  connect(head: MessageHead, socket: Socket, early: Buffer): void;
  /** A malformed or oversized request (already answered and closed). */
  clientError(code: string): void;
  /** A connection the listener has just accepted, before any byte of it is read. */
  accepted?(socket: Socket): void;
}

type Deadline = 'none' | 'headers' | 'request' | 'idle';
type PauseReason = 'held-body' | 'upstream-full' | 'queued';

const PAUSE_BITS: Record<PauseReason, number> = { 'held-body': 1, 'upstream-full': 2, queued: 4 };

const UPGRADE_REFUSED = 'protocol upgrades go through CONNECT, not a forward request\n';

function errorStatus(code: string): string {
  return code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
}

export class ClientConnection {
  /** When the current deadline passes (performance.now() ms); 0 for none. */
  deadline = 0;
  private deadlineKind: Deadline = 'headers';
  private readonly parser: MessageParser;
  /** Requests not yet answered, oldest (the one being answered) first. */
  private readonly queue: Exchange[] = [];
  /** The request whose body is being parsed. */
  private receiving?: Exchange;
  private upgradeHead?: MessageHead;
  private paused = 0;
  private closing = false;
  private clientEnded = false;

  constructor(
    readonly socket: Socket,
    private readonly options: ClientConnectionOptions,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.setDeadline('headers', options.headersMs);
    this.parser = new MessageParser('request', options.maxHeaderSize, {
      begin: () => this.setDeadline('headers', this.options.headersMs),
      head: (head) => void this.onHead(head),
      body: (chunk) => this.receiving?.body(chunk),
      complete: () => this.onRequestComplete(),
    });
    socket.on('data', this.onData);
    socket.on('end', () => this.onClientEnd());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.onClose());
  }

  private readonly onData = (chunk: Buffer): void => {
    let parsed: number;
    try {
      parsed = this.parser.execute(chunk);
    } catch (error) {
      return this.parseError((error as HttpParseError).code ?? 'HPE_INTERNAL');
    }
    if (this.upgradeHead) this.upgrade(this.upgradeHead, chunk.subarray(parsed));
  };

  private setDeadline(kind: Deadline, ms: number): void {
    this.deadlineKind = kind;
    this.deadline = kind === 'none' ? 0 : performance.now() + ms;
  }

  private onHead(head: MessageHead): void {
    if (head.upgrade) {
      this.upgradeHead = head;
      return;
    }
    const exchange = new Exchange(this, head);
    this.receiving = exchange;
    this.queue.push(exchange);
    this.setDeadline('request', this.options.requestMs);
    if (this.queue.length === 1) this.handlers.request(exchange);
    else this.pauseReading('queued', true); // pipelined: one parsed request waits, the rest stay in the socket
  }

  private onRequestComplete(): void {
    const exchange = this.receiving;
    this.receiving = undefined;
    this.setDeadline('none', 0);
    exchange?.requestEnd();
  }

  /** CONNECT hands the socket over; an Upgrade over plain HTTP is refused (tunnels are CONNECT's job). */
  private upgrade(head: MessageHead, early: Buffer): void {
    this.socket.off('data', this.onData);
    this.parser.close();
    this.setDeadline('none', 0);
    this.closing = true;
    if (this.queue.length > 0) return void this.socket.destroy();
    if (head.method === 'CONNECT') {
      this.socket.pause();
      this.handlers.connect(head, this.socket, early);
      return;
    }
    this.socket.end(
      `HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${UPGRADE_REFUSED.length}\r\n\r\n${UPGRADE_REFUSED}`,
    );
  }

  private parseError(code: string): void {
    this.handlers.clientError(code);
    this.closing = true;
    this.socket.off('data', this.onData);
    if (this.queue.length === 0 && this.socket.writable)
      this.socket.end(`HTTP/1.1 ${errorStatus(code)}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    this.socket.destroySoon();
  }

  /** Stops or restarts reading the client for one reason; it reads only when no reason holds. */
  pauseReading(reason: PauseReason, on: boolean): void {
    const before = this.paused;
    this.paused = on ? this.paused | PAUSE_BITS[reason] : this.paused & ~PAUSE_BITS[reason];
    if (before === 0 && this.paused !== 0) this.socket.pause();
    else if (before !== 0 && this.paused === 0 && !this.closing) this.socket.resume();
  }

  /** Whether the connection stays open after this exchange (client asked for it and nothing forces a close). */
  keepsAlive(exchange: Exchange): boolean {
    return exchange.head.keepAlive && !this.closing && !this.clientEnded && !exchange.closeDelimited;
  }

  write(data: string | Buffer): boolean {
    return this.socket.write(data);
  }

  /** Runs `resume` once the client has taken what was written (after write() returned false). */
  onceDrained(resume: () => void): void {
    this.socket.once('drain', resume);
  }

  /** Called as either half of an exchange completes; the connection moves on once both have. */
  settled(exchange: Exchange): void {
    if (!exchange.responseComplete || this.queue[0] !== exchange) return;
    // The rest of a request body is read (and dropped) before the next request, unless we are closing anyway.
    if (!exchange.requestComplete && !this.closing) return;
    this.queue.shift();
    if (!this.keepsAlive(exchange)) return this.finish();
    const next = this.queue[0];
    if (next) {
      this.pauseReading('queued', this.queue.length > 1);
      this.handlers.request(next);
      return;
    }
    if (this.deadlineKind === 'none') this.setDeadline('idle', this.options.keepAliveMs);
  }

  /**
   * Ends the connection after the last answer. What the client still sends is read and dropped until it
   * closes too (or the keep-alive time passes): closing with unread bytes would reset the connection and
   * could destroy the answer before the client reads it.
   */
  private finish(): void {
    this.closing = true;
    this.socket.off('data', this.onData);
    this.socket.on('data', () => {});
    this.socket.resume();
    this.socket.end();
    this.setDeadline('idle', this.options.keepAliveMs);
  }

  /** The connection ends after the response being answered (the client's next request could not be trusted). */
  closeAfterResponse(): void {
    this.closing = true;
  }

  /** A response cannot be finished (its upstream failed after it began): cut the connection. */
  abort(): void {
    this.closing = true;
    this.socket.destroy();
  }

  /** The sweep found this connection past its deadline. */
  timedOut(): void {
    const kind = this.deadlineKind;
    this.setDeadline('none', 0);
    this.closing = true;
    // A request that stalled mid-way (head or body) gets a 408, unless an answer is already going out on
    // this connection (a 408 would land inside it); an idle keep-alive connection just closes.
    const stalled = kind === 'headers' ? this.socket.bytesRead > 0 : kind === 'request';
    if (stalled && !this.queue.some((exchange) => exchange.responseStarted)) {
      this.handlers.clientError('ERR_HTTP_REQUEST_TIMEOUT');
      this.socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      this.socket.destroySoon();
      return;
    }
    this.socket.destroy();
  }

  private onClientEnd(): void {
    if (this.upgradeHead) return; // the tunnel owns the socket now
    this.clientEnded = true;
    try {
      this.parser.finish();
    } catch {
      // a request cut short by the client's close: nothing to answer
    }
    if (this.queue.length === 0) this.socket.end();
  }

  private onClose(): void {
    this.setDeadline('none', 0);
    for (const exchange of this.queue) exchange.abandon();
    this.queue.length = 0;
    if (!this.upgradeHead) this.parser.close();
  }
}
