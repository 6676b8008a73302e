// A client that reads HTTP/1.1 responses by hand over any duplex (a TCP socket, a TLS socket inside a
// tunnel), so framing mistakes in what it talks to show up instead of being smoothed over by a library.
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';

export interface RawResponse {
  status: number;
  headers: [string, string][];
  body: Buffer;
  header(name: string): string | undefined;
  all(name: string): string[];
}

const open = new Set<RawHttpClient>();

/** Destroys every client not destroyed yet (for afterAll). */
export function destroyRawHttpClients(): void {
  for (const c of open) c.destroy();
}

export class RawHttpClient {
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private wake: (() => void) | undefined;
  readonly closed: Promise<void>;

  constructor(readonly socket: Duplex) {
    open.add(this);
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.size += d.length;
      this.wake?.();
    });
    socket.on('end', () => this.finish());
    this.closed = new Promise((resolve) => socket.on('close', () => (this.finish(), resolve())));
  }

  static open(port: number): Promise<RawHttpClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawHttpClient(s)));
      s.once('error', reject);
    });
  }

  write(data: string | Buffer) {
    this.socket.write(data);
  }

  destroy() {
    this.socket.destroy();
    open.delete(this);
  }

  /** Bytes received and not yet consumed as part of a response. */
  get pending(): number {
    return this.size;
  }

  private finish() {
    this.ended = true;
    this.wake?.();
  }

  private async waitData() {
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
  }

  private flat(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  private async fill(n: number) {
    while (this.size < n) {
      if (this.ended) throw new Error(`connection closed after ${this.size} of ${n} bytes`);
      await this.waitData();
    }
  }

  private take(n: number): Buffer {
    const all = this.flat();
    this.chunks = [all.subarray(n)];
    this.size -= n;
    return all.subarray(0, n);
  }

  private async line(): Promise<string> {
    for (;;) {
      const i = this.flat().indexOf('\r\n');
      if (i >= 0)
        return this.take(i + 2)
          .subarray(0, i)
          .toString('latin1');
      if (this.ended) throw new Error(this.size === 0 ? 'connection closed' : 'connection closed mid-line');
      await this.waitData();
    }
  }

  /** The next response on the connection, 1xx included; `method` says whether a body can follow. */
  async response(method = 'GET'): Promise<RawResponse> {
    const statusLine = await this.line();
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!m) throw new Error(`not a status line: ${JSON.stringify(statusLine.slice(0, 80))}`);
    const status = Number(m[1]);
    const headers: [string, string][] = [];
    for (let l = await this.line(); l !== ''; l = await this.line()) {
      const colon = l.indexOf(':');
      headers.push([l.slice(0, colon).trim().toLowerCase(), l.slice(colon + 1).trim()]);
    }
    const all = (name: string) => headers.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v);
    const header = (name: string) => all(name)[0];
    let body: Buffer = Buffer.alloc(0);
    const te = header('transfer-encoding');
    const cl = header('content-length');
    if (method === 'HEAD' || status < 200 || status === 204 || status === 304) {
      // no body
    } else if (te && /chunked/i.test(te)) {
      const parts: Buffer[] = [];
      for (;;) {
        const size = parseInt((await this.line()).split(';')[0], 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size');
        if (size === 0) {
          while ((await this.line()) !== ''); // trailers
          break;
        }
        await this.fill(size + 2);
        parts.push(this.take(size));
        if (this.take(2).toString() !== '\r\n') throw new Error('bad chunk terminator');
      }
      body = Buffer.concat(parts);
    } else if (cl !== undefined) {
      await this.fill(Number(cl));
      body = this.take(Number(cl));
    } else {
      await this.closed;
      body = this.take(this.size);
    }
    return { status, headers, body, header, all };
  }

  /** The final response, skipping interim 1xx ones (101 counts as final). */
  async finalResponse(method = 'GET'): Promise<RawResponse> {
    for (;;) {
      const r = await this.response(method);
      if (r.status >= 200 || r.status === 101) return r;
    }
  }
}
