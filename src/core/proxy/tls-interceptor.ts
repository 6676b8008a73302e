// TLS termination for inspected endpoints: after an allowed CONNECT, the client's TLS is terminated with a
// leaf certificate for the requested host (signed by the core's CA), and the decrypted stream is served by
// the proxy's own HTTP engine, so every request inside the tunnel is parsed by the same hardened parser and
// decided on method and path before it goes upstream (re-encrypted).
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';

/** What the interceptor needs of a certificate authority. */
export interface LeafIssuer {
  secureContextFor(host: string): Promise<SecureContext>;
}

export interface InterceptTarget {
  host: string;
  port: number;
  /** The resolved, guard-checked upstream address. */
  address: string;
  binary: string;
  pid?: number;
}

export class TlsInterceptor {
  private readonly targets = new WeakMap<Socket, InterceptTarget>();

  /** `serve` reads HTTP requests from a terminated tunnel; targetOf() tells where that tunnel was going. */
  constructor(
    private readonly issuer: LeafIssuer,
    private readonly serve: (decrypted: TLSSocket) => void,
  ) {}

  /** Answers the CONNECT and starts TLS on the client socket with a leaf for the target host. */
  async intercept(socket: Socket, head: Buffer, target: InterceptTarget): Promise<void> {
    const secureContext = await this.issuer.secureContextFor(target.host);
    if (socket.destroyed) return;
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    const tlsSocket = new TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
    tlsSocket.on('error', () => tlsSocket.destroy());
    this.targets.set(tlsSocket, target);
    this.serve(tlsSocket);
  }

  /** The tunnel target of a decrypted connection from intercept(). */
  targetOf(socket: Socket): InterceptTarget | undefined {
    return this.targets.get(socket);
  }
}
