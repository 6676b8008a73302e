// TLS termination for inspected endpoints: after an allowed CONNECT, the client's TLS is terminated with a
// leaf certificate for the requested host (signed by the core's CA), and the decrypted stream is handed to
// an ordinary HTTP server, so every request inside the tunnel is parsed by the same hardened parser and
// decided on method and path before it goes upstream (re-encrypted).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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

export type InspectedHandler = (req: IncomingMessage, res: ServerResponse, target: InterceptTarget) => void;

export class TlsInterceptor {
  private readonly server: Server;
  private readonly targets = new WeakMap<object, InterceptTarget>();

  constructor(private readonly issuer: LeafIssuer, handler: InspectedHandler) {
    this.server = createServer({ maxHeaderSize: 16 * 1024, headersTimeout: 10_000, requestTimeout: 120_000, keepAliveTimeout: 5_000 });
    this.server.on('request', (req, res) => {
      const target = this.targets.get(req.socket);
      if (!target) return void res.destroy();
      handler(req, res, target);
    });
    this.server.on('clientError', (_error, socket) => socket.destroy());
  }

  /** Answers the CONNECT and starts TLS on the client socket with a leaf for the target host. */
  async intercept(socket: Socket, head: Buffer, target: InterceptTarget): Promise<void> {
    const secureContext = await this.issuer.secureContextFor(target.host);
    if (socket.destroyed) return;
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    const tlsSocket = new TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
    tlsSocket.on('error', () => tlsSocket.destroy());
    this.targets.set(tlsSocket, target);
    this.server.emit('connection', tlsSocket);
  }
}
