// An upstream for attack tests that records exactly the bytes it receives, per connection, and answers each
// request it reads. It reads requests the way a typical lenient server does (first Content-Length, else
// chunked when any Transfer-Encoding says so, else no body; Connection is never consulted), so a body that
// the proxy leaves unframed shows up here as a second request, as it would on a real server.
// Plain TCP or TLS (a certificate from the given CA for whatever name the client asks for).
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContext } from 'node:tls';

export interface SeenRequest {
  /** Which accepted connection carried it (0 = the first). */
  connection: number;
  method: string;
  target: string;
  /** The request line exactly as received. */
  line: string;
  headers: [string, string][];
  body: Buffer;
}

export interface RawUpstream {
  port: number;
  /** Every byte received, per connection, in accept order. */
  readonly received: Buffer[];
  /** Requests read, in order. */
  readonly requests: SeenRequest[];
  /** Everything received on every connection, as latin1 text. */
  text(): string;
  header(request: SeenRequest, name: string): string | undefined;
  /** Sockets of the connections accepted, in order. */
  readonly sockets: Socket[];
  close(): Promise<void>;
}

export type Responder = (request: SeenRequest, socket: Socket) => string | Buffer | null | undefined;

/** The default answer: 200 with a Content-Length body naming what was read. */
export const echoResponder: Responder = (r) => {
  const body = `seen ${r.method} ${r.target}`;
  return `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
};

export async function startRawUpstream(
  options: { tls?: (servername: string) => Promise<SecureContext>; respond?: Responder } = {},
): Promise<RawUpstream> {
  const received: Buffer[] = [];
  const requests: SeenRequest[] = [];
  const sockets: Socket[] = [];
  const respond = options.respond ?? echoResponder;

  const serve = (socket: Socket) => {
    const index = received.length;
    received.push(Buffer.alloc(0));
    sockets.push(socket);
    let pending = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      received[index] = Buffer.concat([received[index], chunk]);
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const parsed = readRequest(pending);
        if (!parsed) break;
        pending = pending.subarray(parsed.used);
        const request = { connection: index, ...parsed.request };
        requests.push(request);
        const answer = respond(request, socket);
        if (answer) socket.write(answer);
      }
    });
  };

  let server: Server;
  if (options.tls) {
    const contextFor = options.tls;
    server = createTlsServer(
      {
        SNICallback: (name, cb) =>
          contextFor(name).then(
            (ctx) => cb(null, ctx),
            (e: Error) => cb(e),
          ),
        ALPNProtocols: ['http/1.1'],
      },
      serve,
    );
    server.on('tlsClientError', () => {});
  } else server = createTcpServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    requests,
    sockets,
    text: () => Buffer.concat(received).toString('latin1'),
    header: (r, name) => r.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1],
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One request from the front of `data`, or undefined when it is not all there yet. */
function readRequest(data: Buffer): { request: Omit<SeenRequest, 'connection'>; used: number } | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const line = lines[0];
  const [method = '', target = ''] = line.split(' ');
  const headers: [string, string][] = lines.slice(1).map((l) => {
    const colon = l.indexOf(':');
    return [l.slice(0, colon), l.slice(colon + 1).trim()];
  });
  const find = (name: string) => headers.find(([n]) => n.toLowerCase() === name)?.[1];
  let at = end + 4;
  let body: Buffer = Buffer.alloc(0);
  const length = find('content-length');
  const te = find('transfer-encoding');
  if (length !== undefined) {
    const n = Number.parseInt(length, 10) || 0;
    if (data.length < at + n) return undefined;
    body = data.subarray(at, at + n);
    at += n;
  } else if (te && /chunked/i.test(te)) {
    const parts: Buffer[] = [];
    for (;;) {
      const eol = data.indexOf('\r\n', at);
      if (eol < 0) return undefined;
      const size = Number.parseInt(data.subarray(at, eol).toString('latin1'), 16);
      at = eol + 2;
      if (!(size > 0)) {
        // Trailers up to the blank line.
        const blank = data.indexOf('\r\n', at);
        if (blank < 0) return undefined;
        if (blank === at) at += 2;
        else {
          const trailersEnd = data.indexOf('\r\n\r\n', at);
          if (trailersEnd < 0) return undefined;
          at = trailersEnd + 4;
        }
        break;
      }
      if (data.length < at + size + 2) return undefined;
      parts.push(data.subarray(at, at + size));
      at += size + 2;
    }
    body = Buffer.concat(parts);
  }
  return { request: { method, target, line, headers, body }, used: at };
}
