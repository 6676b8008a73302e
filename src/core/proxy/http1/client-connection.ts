// One client connection to the proxy: parses its requests with llhttp, answers them strictly in order
// (pipelined ones wait their turn), keeps it alive between requests, and cuts it off when it is too slow
// (the server's sweep calls timedOut()). A CONNECT head hands the socket to the tunnel code as it is; an
// upgrade request is the last request parsed on the connection: after its answer the connection either
// carries the new protocol (a 101) or closes. A parse error ends the connection and everything queued on
// it: nothing parsed before the error that has not gone upstream yet ever will.
import type { Socket } from 'node:net';
import { type HttpParseError, MessageParser, type MessageHead } from './llhttp.js';
import { Exchange } from './exchange.js';
import type { ClientSide, ExchangeProgress, PauseReason } from './contracts.js';

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
  /** A malformed, oversized or refused request (already answered, and the connection closes); `detail` says why. */
  clientError(code: string, detail?: string): void;
  /** A connection the listener has just accepted, before any byte of it is read. */
  accepted?(socket: Socket): void;
}

type Deadline = 'none' | 'headers' | 'request' | 'idle';

const PAUSE_BITS: Record<PauseReason, number> = { 'held-body': 1, 'upstream-full': 2, queued: 4, upgrade: 8 };

function errorStatus(code: string): string {
  return code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
}

export class ClientConnection implements ClientSide {
  /** When the current deadline passes (performance.now() ms); 0 for none. */
  deadline = 0;
  private deadlineKind: Deadline = 'headers';
  private readonly parser: MessageParser;
  private parserClosed = false;
  /** Requests not yet answered, oldest (the one being answered) first. */
  private readonly queue: Exchange[] = [];
  /** The request whose body is being parsed. */
  private receiving?: Exchange;
  private connectHead?: MessageHead;
  /** An upgrade request was parsed: nothing after it is parsed as HTTP. */
  private upgradeRequest?: Exchange;
  /** Bytes the client sent behind an upgrade request, kept for the upstream if it switches. */
  private readonly early: Buffer[] = [];
  /** The socket belongs to someone else now (a tunnel, an upgraded relay). */
  private handedOver = false;
  private paused = 0;
  private closing = false;
  /** The last answer is out: the client is read only to be dropped. */
  private finished = false;
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
    if (this.connectHead) this.handOverConnect(this.connectHead, chunk.subarray(parsed));
    else if (this.upgradeRequest?.requestComplete && !this.finished && !this.handedOver) this.stopParsing(chunk.subarray(parsed));
  };

  /** Bytes behind an upgrade request: kept (the client is not read meanwhile) until the upgrade is answered. */
  private readonly onEarly = (chunk: Buffer): void => {
    this.early.push(chunk);
  };

  private setDeadline(kind: Deadline, ms: number): void {
    this.deadlineKind = kind;
    this.deadline = kind === 'none' ? 0 : performance.now() + ms;
  }

  private onHead(head: MessageHead): void {
    if (head.upgrade && head.method === 'CONNECT') {
      this.connectHead = head;
      return;
    }
    const exchange = new Exchange(this, head);
    if (head.upgrade) this.upgradeRequest = exchange;
    this.receiving = exchange;
    this.queue.push(exchange);
    this.setDeadline('request', this.options.requestMs);
    if (this.queue.length === 1) this.dispatch(exchange);
    else this.pauseReading('queued', true); // pipelined: one parsed request waits, the rest stay in the socket
  }

  /** Its turn: the engine's own refusals are answered here (and close the connection); the rest go to the handler. */
  private dispatch(exchange: Exchange): void {
    if (!exchange.refusal) return this.handlers.request(exchange);
    this.handlers.clientError('ERR_REFUSED', exchange.refusal.reason);
    exchange.refuse();
  }

  private onRequestComplete(): void {
    const exchange = this.receiving;
    this.receiving = undefined;
    this.setDeadline('none', 0);
    exchange?.requestEnd();
  }

  /** CONNECT hands the socket over to the tunnel code. */
  private handOverConnect(head: MessageHead, early: Buffer): void {
    this.socket.off('data', this.onData);
    this.closeParser();
    this.setDeadline('none', 0);
    this.closing = true;
    if (this.queue.length > 0) return void this.socket.destroy();
    this.handedOver = true;
    this.socket.pause();
    this.handlers.connect(head, this.socket, early);
  }

  /** After an upgrade request nothing is parsed as HTTP: later bytes wait for the upgrade's answer. */
  private stopParsing(rest: Buffer): void {
    this.socket.off('data', this.onData);
    this.closeParser();
    if (rest.length > 0) this.early.push(rest);
    this.socket.on('data', this.onEarly);
    this.pauseReading('upgrade', true);
  }

  private parseError(code: string): void {
    this.handlers.clientError(code);
    this.closing = true;
    this.socket.off('data', this.onData);
    const started = this.queue.some((exchange) => exchange.responseStarted);
    // Whatever was parsed before the error and has not gone upstream never will; what is on its way is cut.
    for (const exchange of this.queue) exchange.abandon();
    this.queue.length = 0;
    this.receiving = undefined;
    if (started || !this.socket.writable) return void this.socket.destroy();
    const body = `${JSON.stringify({ error: 'bad_request', reason: `malformed HTTP request (${code})` })}\n`;
    this.socket.end(
      `HTTP/1.1 ${errorStatus(code)}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    this.socket.destroySoon();
  }

  pauseReading(reason: PauseReason, on: boolean): void {
    const before = this.paused;
    this.paused = on ? this.paused | PAUSE_BITS[reason] : this.paused & ~PAUSE_BITS[reason];
    if (before === 0 && this.paused !== 0) this.socket.pause();
    else if (before !== 0 && this.paused === 0 && !this.closing) this.socket.resume();
  }

  keepsAlive(exchange: ExchangeProgress): boolean {
    return exchange.head.keepAlive && !this.closing && !this.clientEnded && !exchange.closesConnection;
  }

  write(data: string | Buffer): boolean {
    return this.socket.write(data);
  }

  onceDrained(resume: () => void): void {
    this.socket.once('drain', resume);
  }

  settled(exchange: ExchangeProgress): void {
    if (this.handedOver || !exchange.responseComplete || this.queue[0] !== exchange) return;
    // The rest of a request body is read (and dropped) before the next request, unless we are closing anyway.
    if (!exchange.requestComplete && !this.closing) return;
    this.queue.shift();
    if (!this.keepsAlive(exchange)) return this.finish();
    const next = this.queue[0];
    if (next) {
      this.pauseReading('queued', this.queue.length > 1);
      this.dispatch(next);
      return;
    }
    if (this.deadlineKind === 'none') this.setDeadline('idle', this.options.keepAliveMs);
  }

  handOver(exchange: ExchangeProgress): { socket: Socket; early: Buffer } {
    if (this.queue[0] === exchange) this.queue.shift();
    this.handedOver = true;
    this.closing = true;
    this.setDeadline('none', 0);
    this.socket.off('data', this.onData);
    this.socket.off('data', this.onEarly);
    this.paused = 0;
    return { socket: this.socket, early: Buffer.concat(this.early) };
  }

  /**
   * Ends the connection after the last answer. What the client still sends is read and dropped until it
   * closes too (or the keep-alive time passes): closing with unread bytes would reset the connection and
   * could destroy the answer before the client reads it.
   */
  private finish(): void {
    this.closing = true;
    this.finished = true;
    this.early.length = 0;
    this.socket.off('data', this.onData);
    this.socket.off('data', this.onEarly);
    this.socket.on('data', () => {});
    this.socket.resume();
    this.socket.end();
    this.setDeadline('idle', this.options.keepAliveMs);
  }

  closeAfterResponse(): void {
    this.closing = true;
  }

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
      for (const exchange of this.queue) exchange.abandon();
      this.socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      this.socket.destroySoon();
      return;
    }
    this.socket.destroy();
  }

  private onClientEnd(): void {
    if (this.handedOver) return; // the tunnel or relay owns the socket now
    this.clientEnded = true;
    if (!this.parserClosed) {
      try {
        this.parser.finish();
      } catch {
        // a request cut short by the client's close: nothing to answer
      }
    }
    if (this.queue.length === 0) this.socket.end();
  }

  private onClose(): void {
    this.setDeadline('none', 0);
    if (this.handedOver) return;
    for (const exchange of this.queue) exchange.abandon();
    this.queue.length = 0;
    this.closeParser();
  }

  private closeParser(): void {
    if (this.parserClosed) return;
    this.parserClosed = true;
    this.parser.close();
  }
}
