// Keep-alive connections to upstream servers, by address, port and TLS name. A connection carries one
// exchange at a time; its response is parsed by llhttp and streamed to that exchange, then the
// connection goes back to the pool if both sides want it kept, or is closed.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { MessageParser } from './llhttp.js';
import type { Exchange } from './exchange.js';

/** Idle pooled connections are closed after this long (servers close theirs sooner or later anyway). */
const IDLE_MS = 15_000;
/** At most this many idle connections are kept per destination. */
const MAX_IDLE_PER_KEY = 64;

/** A failure as the exchange reports it: the errno-style code is what the client's 502 names. */
function upstreamError(message: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

function codeOf(error: unknown, fallback: string): string {
  return (error as { code?: string }).code ?? fallback;
}

export class UpstreamConnection {
  private exchange?: Exchange;
  /** Served an exchange before (so a failure before any answer may just mean the server closed it idle). */
  reused = false;
  private responding = false;
  private statusCode = 0;
  private keepAlive = false;
  /** The upstream answered something this proxy never asked for (a 101, or bytes while idle). */
  private broken = false;
  private waitingForClient = false;
  /** Bytes of a Content-Length body still to come, forwarded as read (the parser is stopped meanwhile). */
  private rawRemaining = 0;
  private readonly parser: MessageParser;

  constructor(
    readonly socket: Socket,
    readonly key: string,
    private readonly pool: UpstreamPool,
  ) {
    socket.setNoDelay(true);
    this.parser = new MessageParser('response', 64 * 1024, {
      begin: () => {
        this.responding = true;
      },
      head: (head) => {
        this.statusCode = head.statusCode;
        this.keepAlive = head.keepAlive;
        if (!this.exchange || head.upgrade || head.statusCode === 101) {
          this.broken = true;
          return 'no-body';
        }
        const body = this.exchange.responseHead(head);
        if (typeof body !== 'number') return body;
        this.rawRemaining = body;
        return 'stop';
      },
      body: (chunk) => this.forwardBody(chunk),
      complete: () => {
        if (this.rawRemaining === 0) this.responseComplete(); // else the body is still to come
      },
    });
    socket.on('data', (chunk: Buffer) => {
      const client = this.exchange?.connection.socket;
      client?.cork();
      try {
        this.received(chunk);
      } catch (error) {
        this.fail(upstreamError((error as Error).message, codeOf(error, 'EPROTO')));
      } finally {
        client?.uncork();
      }
    });
    socket.on('end', () => {
      try {
        if (this.rawRemaining > 0) throw upstreamError('upstream closed mid-body', 'ECONNRESET');
        this.parser.finish(); // ends a close-delimited body
      } catch (error) {
        this.fail(upstreamError('upstream closed mid-response', codeOf(error, 'ECONNRESET')));
      }
      socket.destroy();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => this.fail(error));
    socket.on('timeout', () => this.destroy()); // idle in the pool too long
    socket.on('close', () => {
      this.pool.forget(this);
      this.fail(upstreamError('upstream closed', 'ECONNRESET'));
      this.parser.close();
    });
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
      if (used === 0) throw upstreamError('upstream parser made no progress', 'EPROTO');
      offset += used;
    }
    if (this.broken) this.fail(upstreamError('unexpected response from upstream', 'EPROTO'));
  }

  private forwardBody(chunk: Buffer): void {
    if (this.exchange && !this.exchange.responseBody(chunk) && !this.waitingForClient) {
      this.waitingForClient = true;
      this.socket.pause();
      this.exchange.connection.onceDrained(() => {
        this.waitingForClient = false;
        this.socket.resume();
      });
    }
  }

  private responseComplete(): void {
    this.responding = false;
    if (this.broken) return;
    const exchange = this.exchange;
    if (exchange?.responseEnd(this.statusCode) === false) return; // 1xx: the final answer follows
    this.exchange = undefined;
    if (this.keepAlive && exchange?.requestComplete) this.pool.release(this);
    else this.destroy();
  }

  /** Takes `exchange` as the one this connection serves next. */
  begin(exchange: Exchange): void {
    this.exchange = exchange;
    this.socket.setTimeout(0);
  }

  write(data: string | Buffer): boolean {
    return this.socket.write(data);
  }

  onceDrained(resume: () => void): void {
    this.socket.once('drain', resume);
  }

  private fail(error: NodeJS.ErrnoException): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.socket.destroy();
    exchange?.upstreamFailed(error, this.reused && !this.responding);
  }

  destroy(): void {
    this.exchange = undefined;
    this.socket.destroy();
  }
}

export class UpstreamPool {
  private readonly idle = new Map<string, UpstreamConnection[]>();
  private readonly open = new Set<UpstreamConnection>();

  /** `ca`: the roots upstream certificates are verified against (default: Node's). */
  constructor(private readonly ca?: string | Buffer | Array<string | Buffer>) {}

  /** An idle connection to that destination, or a new one (`fresh` skips the idle ones). */
  acquire(address: string, port: number, tls?: { servername?: string }, fresh = false): UpstreamConnection {
    const key = tls ? `tls|${tls.servername ?? ''}|${address}|${port}` : `${address}|${port}`;
    const idle = fresh ? undefined : this.idle.get(key);
    const pooled = idle?.pop();
    if (pooled) return pooled;
    const socket = tls
      ? tlsConnect({ host: address, port, servername: tls.servername, ALPNProtocols: ['http/1.1'], ca: this.ca })
      : tcpConnect({ host: address, port });
    const connection = new UpstreamConnection(socket, key, this);
    this.open.add(connection);
    return connection;
  }

  release(connection: UpstreamConnection): void {
    const idle = this.idle.get(connection.key) ?? [];
    if (idle.length >= MAX_IDLE_PER_KEY) return connection.destroy();
    connection.reused = true;
    idle.push(connection);
    this.idle.set(connection.key, idle);
    connection.socket.setTimeout(IDLE_MS);
  }

  forget(connection: UpstreamConnection): void {
    this.open.delete(connection);
    const idle = this.idle.get(connection.key);
    if (!idle) return;
    const at = idle.indexOf(connection);
    if (at >= 0) idle.splice(at, 1);
    if (idle.length === 0) this.idle.delete(connection.key); // destinations come and go: keep no empty entries
  }

  close(): void {
    for (const connection of this.open) connection.destroy();
    this.idle.clear();
  }
}
