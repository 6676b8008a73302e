// One keep-alive connection to an upstream server. It carries one exchange at a time; the response is
// parsed by llhttp and streamed to that exchange, then the connection goes back to its pool if both sides
// want it kept, or is closed. Anything unexpected from the upstream (bytes while idle, a head the exchange
// refuses, a parse error) ends it: a connection is never reused after a framing error. After a 101 the
// exchange asked for, the socket leaves the pool and belongs to the exchange.
import type { Socket } from 'node:net';
import { MessageParser, type MessageHead } from './llhttp.js';
import type { PoolMembership, ResponseSink, UpstreamLink } from './contracts.js';

export interface UpstreamTimeouts {
  /** TCP (and TLS) connection set-up. */
  connectMs: number;
  /** Silence from the upstream while it owes an answer (reset by every byte either way). */
  responseMs: number;
  /** Idle in the pool. */
  idleMs: number;
}

/** A failure as the exchange reports it: the errno-style code is what the client's answer names. */
export function upstreamError(message: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

function codeOf(error: unknown, fallback: string): string {
  return (error as { code?: string }).code ?? fallback;
}

export class UpstreamConnection implements UpstreamLink {
  private sink?: ResponseSink;
  /** Served an exchange before (so a failure before any answer may just mean the server closed it idle). */
  reused = false;
  private connected = false;
  private responding = false;
  private statusCode = 0;
  private keepAlive = false;
  /** Why this connection cannot go on (the upstream answered something the exchange refuses, or nothing was asked). */
  private broken?: string;
  private upgradeHead?: MessageHead;
  private waitingForClient = false;
  /** Bytes of a Content-Length body still to come, forwarded as read (the parser is stopped meanwhile). */
  private rawRemaining = 0;
  private readonly parser: MessageParser;

  constructor(
    readonly socket: Socket,
    readonly key: string,
    private readonly pool: PoolMembership<UpstreamConnection>,
    private readonly timeouts: UpstreamTimeouts,
    secure: boolean,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(timeouts.connectMs);
    socket.once(secure ? 'secureConnect' : 'connect', this.onConnect);
    this.parser = new MessageParser('response', 64 * 1024, {
      begin: () => {
        this.responding = true;
      },
      head: (head) => this.onHead(head),
      body: (chunk) => this.forwardBody(chunk),
      complete: () => {
        if (this.rawRemaining === 0) this.responseComplete(); // else the body is still to come
      },
    });
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('timeout', this.onTimeout);
    socket.on('close', this.onClose);
  }

  private readonly onConnect = (): void => {
    this.connected = true;
    this.socket.setTimeout(this.sink ? this.timeouts.responseMs : 0);
  };

  private readonly onData = (chunk: Buffer): void => {
    const client = this.sink?.connection.socket;
    client?.cork();
    try {
      this.received(chunk);
    } catch (error) {
      this.fail(upstreamError((error as Error).message, codeOf(error, 'EPROTO')));
    } finally {
      client?.uncork();
    }
  };

  private readonly onEnd = (): void => {
    try {
      if (this.rawRemaining > 0) throw upstreamError('upstream closed mid-body', 'ECONNRESET');
      this.parser.finish(); // ends a close-delimited body
    } catch (error) {
      this.fail(upstreamError('upstream closed mid-response', codeOf(error, 'ECONNRESET')));
    }
    this.socket.destroy();
  };

  private readonly onError = (error: NodeJS.ErrnoException): void => this.fail(error);

  private readonly onTimeout = (): void => {
    if (!this.sink) return this.destroy(); // idle in the pool too long
    this.fail(
      this.connected
        ? upstreamError(`no answer from the upstream within ${this.timeouts.responseMs / 1000} s`, 'ETIMEDOUT')
        : upstreamError(`could not connect within ${this.timeouts.connectMs / 1000} s`, 'ETIMEDOUT'),
    );
  };

  private readonly onClose = (): void => {
    this.pool.forget(this);
    this.fail(upstreamError('upstream closed', 'ECONNRESET'));
    this.parser.close();
  };

  private onHead(head: MessageHead): undefined | 'no-body' | 'stop' {
    this.statusCode = head.statusCode;
    this.keepAlive = head.keepAlive;
    this.socket.setTimeout(0); // the answer is here; its body may wait on a slow client
    if (!this.sink) {
      this.broken = 'the upstream answered a request nobody sent';
      return 'no-body';
    }
    if (head.upgrade && head.statusCode !== 101) {
      this.broken = 'the upstream answered with an upgrade nobody asked for';
      return 'no-body';
    }
    const body = this.sink.responseHead(head);
    if (body === 'upgrade') {
      this.upgradeHead = head; // llhttp pauses after a 101 head: the bytes behind it are the new protocol's
      return 'no-body';
    }
    if (typeof body === 'object') {
      this.broken = body.refuse;
      return 'no-body';
    }
    if (typeof body !== 'number') return body;
    this.rawRemaining = body;
    return 'stop';
  }

  /** Bytes from the upstream: a Content-Length body goes straight on (no parser, no copy); the rest is parsed. */
  private received(chunk: Buffer): void {
    for (let offset = 0; offset < chunk.length && !this.broken; ) {
      if (this.rawRemaining > 0) {
        const take = Math.min(this.rawRemaining, chunk.length - offset);
        this.rawRemaining -= take;
        this.forwardBody(take === chunk.length ? chunk : chunk.subarray(offset, offset + take));
        offset += take;
        if (this.rawRemaining === 0) {
          this.parser.reset();
          this.responseComplete();
        }
        continue;
      }
      const used = this.parser.execute(offset === 0 ? chunk : chunk.subarray(offset));
      offset += used;
      if (this.upgradeHead) return this.switched(chunk.subarray(offset));
      if (used === 0) throw upstreamError('upstream parser made no progress', 'EPROTO');
    }
    if (this.broken) this.fail(upstreamError(this.broken, 'EPROTO'));
  }

  /** The 101 the exchange asked for: the socket leaves the pool and the parser, and goes to the exchange. */
  private switched(overflow: Buffer): void {
    const sink = this.sink!;
    const head = this.upgradeHead!;
    this.sink = undefined;
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onError);
    this.socket.off('timeout', this.onTimeout);
    this.socket.off('close', this.onClose);
    this.pool.forget(this);
    this.parser.close();
    this.socket.setTimeout(0);
    sink.upgraded(head, this.socket, overflow);
  }

  private forwardBody(chunk: Buffer): void {
    const sink = this.sink;
    if (sink && !sink.responseBody(chunk) && !this.waitingForClient) {
      this.waitingForClient = true;
      this.socket.pause();
      sink.connection.onceDrained(() => {
        this.waitingForClient = false;
        this.socket.resume();
      });
    }
  }

  private responseComplete(): void {
    this.responding = false;
    if (this.broken || this.upgradeHead) return;
    const sink = this.sink;
    if (!sink) return;
    const reusable = sink.reusable;
    if (sink.responseEnd(this.statusCode) === false) return; // 1xx: the final answer follows
    this.sink = undefined;
    if (this.keepAlive && reusable) this.pool.release(this);
    else this.destroy();
  }

  /** Takes `sink` as the exchange this connection serves next. */
  begin(sink: ResponseSink): void {
    this.sink = sink;
    this.socket.setTimeout(this.connected ? this.timeouts.responseMs : this.timeouts.connectMs);
  }

  /** Back in the pool: idle, timed out after idleMs. */
  parked(): void {
    this.reused = true;
    this.socket.setTimeout(this.timeouts.idleMs);
  }

  write(data: string | Buffer): boolean {
    return this.socket.write(data);
  }

  onceDrained(resume: () => void): void {
    this.socket.once('drain', resume);
  }

  private fail(error: NodeJS.ErrnoException): void {
    const sink = this.sink;
    this.sink = undefined;
    this.socket.destroy();
    sink?.upstreamFailed(error, this.reused && !this.responding);
  }

  destroy(): void {
    this.sink = undefined;
    this.socket.destroy();
  }
}
