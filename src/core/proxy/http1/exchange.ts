// One request and its response on a client connection: the request body is buffered while the core
// decides, then streamed to an upstream connection; the response is streamed back with its framing
// re-made for this hop. Flow control both ways: a full socket pauses the one feeding it.
//
// Framing is the proxy's own on both sides: the head sent upstream states exactly the framing of the bytes
// that follow it (Content-Length from the parsed value, or chunked), the body is counted against it, and a
// body that would not fit what the head says is never written (the upstream connection is dropped, never
// reused). A request whose head the engine cannot forward faithfully carries a `refusal` and is answered
// before any decision.
import type { Socket } from 'node:net';
import type { MessageHead } from './llhttp.js';
import { readHeaders, type MessageHeaders } from './header-lines.js';
import type { ClientSide, ResponseBody, ResponseSink, UpstreamLink, UpstreamSource, UpstreamTls } from './contracts.js';
import { websocketRequest, websocketResponseProblem, type Refusal, type WebSocketRequest } from './websocket-handshake.js';
import { relayUpgraded } from './upgraded-relay.js';

/** Past this much request body waiting for a decision, the client is not read until there is one. */
const HELD_BODY_LIMIT = 64 * 1024;

export interface UpstreamTarget {
  /** The guard-checked address to connect to. */
  address: string;
  port: number;
  /** Host header value: the target URI's authority. */
  authority: string;
  /** origin-form request-target: path and query. */
  path: string;
  /** TLS to the upstream (inspected tunnels), verified against this name. */
  tls?: UpstreamTls;
}

/** Told when the upstream fails before answering (after any retry): the caller answers the client. */
export type UpstreamFailureHandler = (error: NodeJS.ErrnoException) => void;

type Framing = 'none' | 'length' | 'chunked' | 'close';

const LAST_CHUNK = '0\r\n\r\n';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * A forwarded head as bytes. llhttp hands header values and reason phrases over one character per byte
 * (latin1), so they go out the same way, byte for byte, as node:http writes heads; as UTF-8 every byte
 * above 0x7F became two. Every other part of a forwarded head is ASCII. A character above U+00FF cannot
 * come from a parsed head; should one ever get in, it becomes "?" (latin1 would keep its low byte, and
 * U+010A would be a line feed).
 */
function headBytes(head: string): Buffer {
  return Buffer.from(BEYOND_LATIN1.test(head) ? head.replace(BEYOND_LATIN1_ALL, '?') : head, 'latin1');
}

const BEYOND_LATIN1 = /[^\x00-\xff]/;
const BEYOND_LATIN1_ALL = /[^\x00-\xff]/g;

function framingError(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: 'EPROTO' });
}

export class Exchange implements ResponseSink {
  requestComplete = false;
  responseComplete = false;
  /** Bytes of response already written to the client: after that, failures can only cut the connection. */
  responseStarted = false;
  /** What the request's headers say (framing, forwarded lines). */
  readonly request: MessageHeaders;
  /** Set when the engine refuses this request before any decision (unnamed method, ambiguous framing, bad upgrade). */
  readonly refusal?: Refusal;
  /** Set for a WebSocket upgrade request. */
  readonly websocket?: WebSocketRequest;
  private buffered: Buffer[] | null = [];
  private bufferedBytes = 0;
  private heldLimit = HELD_BODY_LIMIT;
  private bodyWaiter?: { limit: number; done: (body: Buffer | undefined) => void };
  /** The whole body as read for the decision (collectBody): exactly these bytes go upstream, framed by their length. */
  private collected?: Buffer;
  /** A 100 Continue was sent to the client (once per request). */
  private continued = false;
  /** The body length the forwarded head declares (Content-Length framing). */
  private declared = 0;
  private upstream?: UpstreamLink;
  private pool?: UpstreamSource;
  private target?: UpstreamTarget;
  private failed?: UpstreamFailureHandler;
  private requestFraming: Framing = 'none';
  /** Body bytes written upstream, counted against what the forwarded head declares. */
  private sent = 0;
  private requestHead: Buffer = Buffer.alloc(0);
  private responseFraming: Framing = 'none';
  private retried = false;
  private waitingForUpstream = false;
  private abandoned = false;

  constructor(
    readonly connection: ClientSide,
    readonly head: MessageHead,
  ) {
    this.request = readHeaders(head.headers, true);
    if (!head.method) this.refusal = { status: 501, reason: `the request's method (llhttp code ${head.methodCode}) has no name here` };
    else if (this.request.error) this.refusal = { status: 400, reason: this.request.error };
    else if (head.upgrade) {
      const upgrade = websocketRequest(head, this.request);
      if ('reason' in upgrade) this.refusal = upgrade;
      else this.websocket = upgrade;
    }
  }

  /** The connection ends after this exchange: a close-delimited answer, or an upgrade request (either it switches or it closes). */
  get closesConnection(): boolean {
    return this.responseFraming === 'close' || this.head.upgrade;
  }

  get reusable(): boolean {
    return this.requestComplete && !this.head.upgrade;
  }

  // — from the client's parser —

  body(chunk: Buffer): void {
    if (this.upstream) return this.sendBody(chunk);
    if (!this.buffered) return; // answered locally: the rest of the body is read and dropped
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bodyWaiter && this.bufferedBytes > this.bodyWaiter.limit) return this.finishWaiting(undefined);
    if (this.bufferedBytes > this.heldLimit) this.connection.pauseReading('held-body', true);
  }

  requestEnd(): void {
    this.requestComplete = true;
    if (this.upstream) this.endRequestBody();
    if (this.bodyWaiter) this.finishWaiting(Buffer.concat(this.buffered ?? []));
    this.connection.settled(this);
  }

  /**
   * The whole request body, read before the decision (for endpoints decided on the body), or undefined
   * when it is larger than `limit` bytes. Only this exchange waits: the body is held up to `limit` instead
   * of the usual 64 KiB, and streaming for every other request is unchanged. Call before forward().
   */
  collectBody(limit: number): Promise<Buffer | undefined> {
    if (this.requestComplete)
      return Promise.resolve(this.bufferedBytes > limit ? undefined : this.keep(Buffer.concat(this.buffered ?? [])));
    if (this.bufferedBytes > limit) return Promise.resolve(undefined);
    this.heldLimit = Math.max(HELD_BODY_LIMIT, limit);
    this.connection.pauseReading('held-body', false);
    return new Promise((done) => {
      this.bodyWaiter = { limit, done };
    });
  }

  private keep(body: Buffer): Buffer {
    this.collected = body;
    this.buffered = [body];
    return body;
  }

  private finishWaiting(body: Buffer | undefined): void {
    const waiter = this.bodyWaiter!;
    this.bodyWaiter = undefined;
    this.heldLimit = HELD_BODY_LIMIT;
    if (this.bufferedBytes > this.heldLimit) this.connection.pauseReading('held-body', true);
    waiter.done(body === undefined ? undefined : this.keep(body));
  }

  /**
   * Tells a client that announced `Expect: 100-continue` to send its body: only when the proxy is about to
   * read it for the decision (never before a decision that needs no body, so a client never streams a body
   * past a refusal). Once per request; a no-op when the body is already here or the answer has begun.
   */
  continueBody(): void {
    if (this.continued || this.requestComplete || this.responseStarted || !this.request.expectContinue) return;
    this.continued = true;
    this.connection.write('HTTP/1.1 100 Continue\r\n\r\n');
  }

  // — the decision —

  /** Answers from the proxy itself (a denial, a bad request, an upstream failure); `close` ends the connection after it. */
  respond(status: number, reason: string, headers: Record<string, string | number>, body: string, close = false): void {
    if (this.abandoned) return;
    if (this.responseStarted) return this.connection.abort();
    // A client that asked for 100-continue may never send the body it announced: do not wait for it.
    if (close || (!this.requestComplete && this.request.expectContinue)) this.connection.closeAfterResponse();
    this.buffered = null;
    this.connection.pauseReading('held-body', false);
    let head = `HTTP/1.1 ${status} ${reason}\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    head += this.connectionHeader();
    this.responseStarted = true;
    this.connection.write(`${head}\r\n${body}`);
    this.responseComplete = true;
    this.connection.settled(this);
  }

  /** Answers the engine's own refusal (see `refusal`) with a JSON reason, and closes the connection. */
  refuse(): void {
    const refusal = this.refusal!;
    const error = refusal.status === 501 ? 'not_implemented' : 'bad_request';
    const body = `${JSON.stringify({ error, reason: refusal.reason })}\n`;
    this.respond(
      refusal.status,
      refusal.status === 501 ? 'Not Implemented' : 'Bad Request',
      { 'Content-Type': 'application/json' },
      body,
      true,
    );
  }

  /** Sends the request to `target` over a pooled connection, with the buffered body; `failed` answers an upstream failure. */
  forward(pool: UpstreamSource, target: UpstreamTarget, failed?: UpstreamFailureHandler): void {
    if (this.abandoned || this.connection.socket.destroyed) return; // the client gave up while the core decided
    const request = this.request;
    const collected = this.collected;
    if (collected !== undefined && (request.chunked || request.length !== undefined)) {
      // The body the decision read goes upstream as it was read, framed by its length (a chunked body too).
      this.requestFraming = 'length';
      this.declared = collected.length;
    } else {
      this.requestFraming = request.chunked ? 'chunked' : request.length !== undefined ? 'length' : 'none';
      this.declared = request.length ?? 0;
    }
    let head = `${this.head.method} ${target.path} HTTP/1.1\r\nHost: ${target.authority}\r\n${request.lines}`;
    // The proxy answered a 100 itself when it read the body first; otherwise the upstream decides when to.
    if (request.expectLines && collected === undefined) head += request.expectLines;
    if (this.requestFraming === 'length') head += `Content-Length: ${this.declared}\r\n`;
    else if (this.requestFraming === 'chunked') head += 'Transfer-Encoding: chunked\r\n';
    if (this.websocket) head += 'Connection: Upgrade\r\nUpgrade: websocket\r\n';
    this.requestHead = headBytes(`${head}\r\n`);
    this.pool = pool;
    this.target = target;
    this.failed = failed;
    this.connectUpstream(false);
  }

  /** Takes an upstream connection (a fresh one for a retry) and sends the request on it; the pool may refuse (over the descriptor budget). */
  private connectUpstream(fresh: boolean): void {
    const target = this.target!;
    let upstream: UpstreamLink;
    try {
      upstream = this.pool!.acquire(target.address, target.port, target.tls, fresh);
    } catch (error) {
      if (this.failed) return this.failed(error as NodeJS.ErrnoException);
      return this.badGateway(error);
    }
    this.attach(upstream);
  }

  private attach(upstream: UpstreamLink): void {
    this.upstream = upstream;
    this.sent = 0;
    upstream.begin(this);
    if (this.collected !== undefined && this.requestFraming === 'length') {
      // A body read whole for the decision goes out with its head in one write: two small writes would let
      // Nagle hold the body back for the upstream's delayed ACK (~40 ms a request over TLS).
      upstream.write(Buffer.concat([Buffer.from(this.requestHead), this.collected]));
      this.sent = this.collected.length;
      this.buffered = null;
      this.endRequestBody();
      this.connection.pauseReading('held-body', false);
      return;
    }
    upstream.write(this.requestHead);
    const buffered = this.buffered ?? [];
    this.buffered = null;
    for (const chunk of buffered) {
      this.sendBody(chunk);
      if (this.upstream !== upstream) return; // the body broke its framing: nothing more goes out
    }
    if (this.requestComplete) this.endRequestBody();
    this.connection.pauseReading('held-body', false);
  }

  private sendBody(chunk: Buffer): void {
    const upstream = this.upstream!;
    let more: boolean;
    if (this.requestFraming === 'chunked') {
      // Every write is made (a full socket still buffers it); only the last one's answer says whether to wait.
      upstream.write(`${chunk.length.toString(16)}\r\n`);
      upstream.write(chunk);
      more = upstream.write('\r\n');
    } else if (this.requestFraming === 'length' && this.sent + chunk.length <= this.declared) {
      more = upstream.write(chunk);
    } else return this.framingBroken('request body bytes beyond what the forwarded head declares');
    this.sent += chunk.length;
    if (!more && !this.waitingForUpstream) {
      this.waitingForUpstream = true;
      this.connection.pauseReading('upstream-full', true);
      upstream.onceDrained(() => {
        this.waitingForUpstream = false;
        this.connection.pauseReading('upstream-full', false);
      });
    }
  }

  private endRequestBody(): void {
    if (this.requestFraming === 'chunked') this.upstream!.write(LAST_CHUNK);
    else if (this.requestFraming === 'length' && this.sent !== this.declared)
      this.framingBroken('request body shorter than what the forwarded head declares');
  }

  /** Cannot happen while llhttp frames the request as the head says; if it ever does, nothing more goes out. */
  private framingBroken(why: string): void {
    this.upstream?.destroy();
    this.upstream = undefined;
    this.failed = undefined;
    if (this.responseStarted) return this.connection.abort();
    this.badGateway(framingError(why));
  }

  // — from the upstream connection —

  responseHead(head: MessageHead): ResponseBody {
    const status = head.statusCode;
    const response = readHeaders(head.headers, false);
    if (status === 101) {
      if (!this.websocket) return { refuse: 'the upstream switched protocols (101) for a request that asked for no upgrade' };
      const problem = websocketResponseProblem(head, response, this.websocket);
      return problem ? { refuse: problem } : 'upgrade';
    }
    if (response.error) return { refuse: `the upstream's response: ${response.error}` };
    // An answer before the whole request arrived (an early error, a refused 100-continue): the client's
    // remaining body is never read as requests, the connection ends after this answer.
    if (status >= 200 && !this.requestComplete) this.connection.closeAfterResponse();
    let out = `HTTP/1.1 ${status} ${head.statusMessage}\r\n${response.lines}`;
    const informational = status < 200;
    const bodiless = informational || status === 204 || status === 304 || this.head.method === 'HEAD';
    if (bodiless) {
      this.responseFraming = 'none';
      // HEAD and 304 may say how long the body would be; 1xx and 204 never carry one (RFC 9110 §8.6).
      if (response.length !== undefined && (status === 304 || (this.head.method === 'HEAD' && status >= 200 && status !== 204)))
        out += `Content-Length: ${response.length}\r\n`;
    } else if (response.length !== undefined) {
      this.responseFraming = 'length';
      out += `Content-Length: ${response.length}\r\n`;
    } else if (this.head.versionMinor >= 1) {
      this.responseFraming = 'chunked';
      out += 'Transfer-Encoding: chunked\r\n';
    } else this.responseFraming = 'close'; // an HTTP/1.0 client learns the end of the body from the close
    if (!informational) out += this.connectionHeader();
    this.responseStarted = true;
    this.connection.write(headBytes(`${out}\r\n`));
    if (bodiless) return 'no-body';
    return this.responseFraming === 'length' && response.length! > 0 ? response.length : undefined;
  }

  responseBody(chunk: Buffer): boolean {
    if (this.responseFraming === 'chunked') {
      this.connection.write(`${chunk.length.toString(16)}\r\n`);
      this.connection.write(chunk);
      return this.connection.write('\r\n');
    }
    if (this.responseFraming === 'none') return true; // a body where none may be: never forwarded
    return this.connection.write(chunk);
  }

  responseEnd(statusCode: number): boolean {
    if (statusCode < 200) return false;
    if (this.responseFraming === 'chunked') this.connection.write(LAST_CHUNK);
    this.responseComplete = true;
    this.upstream = undefined;
    this.connection.settled(this);
    return true;
  }

  upgraded(head: MessageHead, socket: Socket, overflow: Buffer): void {
    const response = readHeaders(head.headers, false);
    const out = `HTTP/1.1 101 ${head.statusMessage}\r\n${response.lines}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`;
    this.upstream = undefined;
    this.responseStarted = true;
    this.responseComplete = true;
    const client = this.connection.handOver(this);
    client.socket.write(headBytes(out));
    if (overflow.length > 0) client.socket.write(overflow);
    if (client.early.length > 0) socket.write(client.early);
    relayUpgraded(client.socket, socket);
  }

  /** Says when the connection ends after this answer; an HTTP/1.0 client must also be told when it does not. */
  private connectionHeader(): string {
    if (!this.connection.keepsAlive(this)) return 'Connection: close\r\n';
    return this.head.versionMinor === 0 ? 'Connection: keep-alive\r\n' : '';
  }

  /**
   * The upstream connection failed. A reused keep-alive connection that died before answering a safe,
   * body-less request (GET, HEAD, OPTIONS, TRACE) is retried once on a fresh one: the server most likely
   * closed it while idle, and repeating such a request changes nothing (RFC 9110 §9.2.2). Anything else gets
   * a 502 (the server may have acted on it), or a cut connection when part of the answer already went out.
   */
  upstreamFailed(error: NodeJS.ErrnoException, reused: boolean): void {
    this.upstream = undefined;
    const retryable =
      reused && !this.responseStarted && !this.retried && this.requestFraming === 'none' && SAFE_METHODS.has(this.head.method);
    if (retryable && this.pool && this.target) {
      this.retried = true;
      this.connectUpstream(true);
      return;
    }
    if (this.failed) return this.failed(error);
    this.badGateway(error);
  }

  /** The upstream could not be reached or failed: a 502 naming the error code, or a cut connection once part of the answer went out. */
  badGateway(error: unknown): void {
    if (this.responseStarted) return this.connection.abort();
    const cause = (error as NodeJS.ErrnoException).code ?? 'error';
    const body = `${JSON.stringify({ error: 'upstream_failed', cause, reason: (error as Error).message ?? String(error) })}\n`;
    this.respond(502, 'Bad Gateway', { 'Content-Type': 'application/json' }, body);
  }

  /** The client went away (or its connection failed): nothing more is forwarded, and the upstream connection is not reused. */
  abandon(): void {
    this.abandoned = true;
    this.buffered = null;
    this.upstream?.destroy();
    this.upstream = undefined;
    if (this.bodyWaiter) this.finishWaiting(undefined);
  }
}
