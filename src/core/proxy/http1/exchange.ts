// One request and its response on a client connection: the request body is buffered while the core
// decides, then streamed to an upstream connection; the response is streamed back with its framing
// re-made for this hop. Flow control both ways: a full socket pauses the one feeding it.
import type { MessageHead } from './llhttp.js';
import { forwardedHeaders } from './header-lines.js';
import type { ClientConnection } from './client-connection.js';
import type { UpstreamConnection, UpstreamPool } from './upstream-pool.js';

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
  tls?: { servername?: string };
}

type Framing = 'none' | 'length' | 'chunked' | 'close';

const LAST_CHUNK = '0\r\n\r\n';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export class Exchange {
  requestComplete = false;
  responseComplete = false;
  /** Bytes of response already written to the client: after that, failures can only cut the connection. */
  responseStarted = false;
  private buffered: Buffer[] | null = [];
  private bufferedBytes = 0;
  private upstream?: UpstreamConnection;
  private pool?: UpstreamPool;
  private target?: UpstreamTarget;
  private requestFraming: Framing = 'none';
  private requestHead = '';
  private responseFraming: Framing = 'none';
  private retried = false;
  private waitingForUpstream = false;

  constructor(
    readonly connection: ClientConnection,
    readonly head: MessageHead,
  ) {}

  // — from the client's parser —

  body(chunk: Buffer): void {
    if (this.upstream) return this.sendBody(chunk);
    if (!this.buffered) return; // answered locally: the rest of the body is read and dropped
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes > HELD_BODY_LIMIT) this.connection.pauseReading('held-body', true);
  }

  requestEnd(): void {
    this.requestComplete = true;
    if (this.upstream && this.requestFraming === 'chunked') this.upstream.write(LAST_CHUNK);
    this.connection.settled(this);
  }

  // — the decision —

  /** Answers from the proxy itself (a denial, a bad request, an upstream failure); `close` ends the connection after it. */
  respond(status: number, reason: string, headers: Record<string, string | number>, body: string, close = false): void {
    if (this.responseStarted) return this.connection.abort();
    if (close) this.connection.closeAfterResponse();
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

  /** Sends the request to `target` over a pooled connection, with the buffered body. */
  forward(pool: UpstreamPool, target: UpstreamTarget): void {
    if (this.connection.socket.destroyed) return; // the client gave up while the core decided
    const forwarded = forwardedHeaders(this.head.headers, true);
    this.requestFraming = forwarded.contentLength !== undefined ? 'length' : forwarded.chunked ? 'chunked' : 'none';
    let head = `${this.head.method} ${target.path} HTTP/1.1\r\nHost: ${target.authority}\r\n${forwarded.lines}`;
    if (this.requestFraming === 'chunked') head += 'Transfer-Encoding: chunked\r\n';
    this.requestHead = `${head}\r\n`;
    this.pool = pool;
    this.target = target;
    this.attach(pool.acquire(target.address, target.port, target.tls));
  }

  private attach(upstream: UpstreamConnection): void {
    this.upstream = upstream;
    upstream.begin(this);
    upstream.write(this.requestHead);
    const buffered = this.buffered ?? [];
    this.buffered = null;
    for (const chunk of buffered) this.sendBody(chunk);
    if (this.requestComplete && this.requestFraming === 'chunked') upstream.write(LAST_CHUNK);
    this.connection.pauseReading('held-body', false);
  }

  private sendBody(chunk: Buffer): void {
    const upstream = this.upstream!;
    // Every write is made (a full socket still buffers it); only the last one's answer says whether to wait.
    if (this.requestFraming === 'chunked') {
      upstream.write(`${chunk.length.toString(16)}\r\n`);
      upstream.write(chunk);
    }
    const more = upstream.write(this.requestFraming === 'chunked' ? '\r\n' : chunk);
    if (!more && !this.waitingForUpstream) {
      this.waitingForUpstream = true;
      this.connection.pauseReading('upstream-full', true);
      upstream.onceDrained(() => {
        this.waitingForUpstream = false;
        this.connection.pauseReading('upstream-full', false);
      });
    }
  }

  // — from the upstream connection —

  /**
   * Sends the response head on. Returns how its body arrives: 'no-body' (an answer to HEAD), a byte
   * count when it is that many bytes as they come (Content-Length: the upstream connection forwards them
   * without the parser, so without a copy), else undefined (the parser delivers it).
   */
  responseHead(head: MessageHead): 'no-body' | number | undefined {
    const status = head.statusCode;
    const forwarded = forwardedHeaders(head.headers, false);
    let out = `HTTP/1.1 ${status} ${head.statusMessage}\r\n${forwarded.lines}`;
    const informational = status < 200;
    const bodiless = informational || status === 204 || status === 304 || this.head.method === 'HEAD';
    if (bodiless) this.responseFraming = 'none';
    else if (forwarded.contentLength !== undefined) this.responseFraming = 'length';
    else if (this.head.versionMinor >= 1) {
      this.responseFraming = 'chunked';
      out += 'Transfer-Encoding: chunked\r\n';
    } else this.responseFraming = 'close'; // an HTTP/1.0 client learns the end of the body from the close
    if (!informational) out += this.connectionHeader();
    this.responseStarted = true;
    this.connection.write(`${out}\r\n`);
    if (this.head.method === 'HEAD') return 'no-body';
    const length = this.responseFraming === 'length' ? Number(forwarded.contentLength) : 0;
    return length > 0 ? length : undefined;
  }

  responseBody(chunk: Buffer): boolean {
    if (this.responseFraming === 'chunked') {
      this.connection.write(`${chunk.length.toString(16)}\r\n`);
      this.connection.write(chunk);
      return this.connection.write('\r\n');
    }
    return this.connection.write(chunk);
  }

  /** A complete message from upstream; false for an interim (1xx) one, after which the real answer follows. */
  responseEnd(statusCode: number): boolean {
    if (statusCode < 200) return false;
    if (this.responseFraming === 'chunked') this.connection.write(LAST_CHUNK);
    this.responseComplete = true;
    this.upstream = undefined;
    this.connection.settled(this);
    return true;
  }

  /** Says when the connection ends after this answer; an HTTP/1.0 client must also be told when it does not. */
  private connectionHeader(): string {
    if (!this.connection.keepsAlive(this)) return 'Connection: close\r\n';
    return this.head.versionMinor === 0 ? 'Connection: keep-alive\r\n' : '';
  }

  /** Whether the client closing is how this response ends (close-delimited to an HTTP/1.0 client). */
  get closeDelimited(): boolean {
    return this.responseFraming === 'close';
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
      this.attach(this.pool.acquire(this.target.address, this.target.port, this.target.tls, true));
      return;
    }
    this.badGateway(error);
  }

  /** The upstream could not be reached or failed: a 502 naming the error code, or a cut connection once part of the answer went out. */
  badGateway(error: unknown): void {
    if (this.responseStarted) return this.connection.abort();
    this.respond(
      502,
      'Bad Gateway',
      { 'Content-Type': 'text/plain' },
      `upstream error: ${(error as NodeJS.ErrnoException).code ?? 'error'}\n`,
    );
  }

  /** The client went away: the upstream connection is not reusable mid-exchange. */
  abandon(): void {
    this.upstream?.destroy();
    this.upstream = undefined;
  }
}
