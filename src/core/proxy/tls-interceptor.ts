// TLS termination for inspected endpoints: after an allowed CONNECT, the client's TLS is terminated with a
// leaf certificate for the requested host (signed by the core's CA), and the decrypted stream is served by
// the proxy's own HTTP engine, so every request inside the tunnel is parsed by the same hardened parser and
// decided on method and path before it goes upstream (re-encrypted).
//
// The same termination explains a refused CONNECT to an agent that trusts the CA (one started by `run`):
// the tunnel "opens", and the first request inside it gets the 403 with the JSON reason, which a client
// never shows for a refused CONNECT. A handshake that fails (the agent does not trust the CA) is reported
// with the fix.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { DenialInfo } from './denial.js';

/** What the interceptor needs of a certificate authority. */
export interface LeafIssuer {
  secureContextFor(host: string): Promise<SecureContext>;
}

export interface InterceptTarget {
  host: string;
  port: number;
  /** The resolved, guard-checked upstream address ('' for a refused tunnel: nothing goes upstream). */
  address: string;
  binary: string;
  pid?: number;
  /** The inbox entry the tunnel went through, when it did. */
  requestId?: string;
  /** Set for a refused CONNECT: every request inside gets this denial. */
  denial?: DenialInfo;
}

const CONNECT_ESTABLISHED = 'HTTP/1.1 200 Connection Established\r\n\r\n';
/** The first byte of a TLS record carrying a handshake (a ClientHello). */
const TLS_HANDSHAKE = 0x16;

export class TlsInterceptor {
  private readonly targets = new WeakMap<Socket, InterceptTarget>();

  /**
   * `serve` reads HTTP requests from a terminated tunnel; targetOf() tells where that tunnel was going.
   * `handshakeFailed` hears of every agent that gave up on the TLS handshake.
   */
  constructor(
    private readonly issuer: LeafIssuer,
    private readonly serve: (decrypted: Socket) => void,
    private readonly handshakeFailed: (target: InterceptTarget, why: string) => void,
    private readonly firstBytesMs = 10_000,
  ) {}

  /** Answers the CONNECT and starts TLS on the client socket with a leaf for the target host. */
  async intercept(socket: Socket, head: Buffer, target: InterceptTarget): Promise<void> {
    const secureContext = await this.issuer.secureContextFor(target.host);
    if (socket.destroyed) return;
    socket.write(CONNECT_ESTABLISHED);
    if (head.length > 0) socket.unshift(head);
    this.terminate(socket, secureContext, target);
  }

  /**
   * A refused CONNECT, explained inside the tunnel: answers 200, then serves the first request in it (over
   * TLS with our leaf when the client starts TLS, in the clear otherwise) with the denial.
   */
  async explain(socket: Socket, head: Buffer, target: InterceptTarget): Promise<void> {
    const secureContext = await this.issuer.secureContextFor(target.host);
    if (socket.destroyed) return;
    socket.write(CONNECT_ESTABLISHED);
    const first = head.length > 0 ? head : await this.firstBytes(socket);
    if (!first) return void socket.destroy();
    socket.unshift(first);
    if (first[0] === TLS_HANDSHAKE) return this.terminate(socket, secureContext, target);
    this.targets.set(socket, target);
    this.serve(socket);
    socket.resume();
  }

  private terminate(socket: Socket, secureContext: SecureContext, target: InterceptTarget): void {
    const tlsSocket = new TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
    let secured = false;
    let reported = false;
    const report = (why: string) => {
      if (secured || reported) return;
      reported = true;
      this.handshakeFailed(target, why);
    };
    tlsSocket.once('secure', () => {
      secured = true;
    });
    tlsSocket.on('error', (error: NodeJS.ErrnoException) => {
      report(error.code ?? error.message);
      tlsSocket.destroy();
    });
    tlsSocket.once('close', () => report('the agent ended the connection before completing the TLS handshake'));
    this.targets.set(tlsSocket, target);
    this.serve(tlsSocket);
  }

  /** The first bytes a client sends in a tunnel (undefined if it sends none in time, or leaves). */
  private firstBytes(socket: Socket): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const done = (bytes: Buffer | undefined) => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        socket.pause();
        resolve(bytes);
      };
      const onData = (bytes: Buffer) => done(bytes);
      const onClose = () => done(undefined);
      const timer = setTimeout(() => done(undefined), this.firstBytesMs);
      socket.on('data', onData);
      socket.once('close', onClose);
      socket.resume();
    });
  }

  /** The tunnel target of a decrypted connection from intercept() or explain(). */
  targetOf(socket: Socket): InterceptTarget | undefined {
    return this.targets.get(socket);
  }
}
