// The proxy's listening side: accepts TCP connections (or is handed decrypted TLS ones), gives each a
// ClientConnection, and once every checkMs sweeps them for passed deadlines (slowloris, stalled bodies,
// idle keep-alive) — one timer for all connections instead of one per connection and request.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ClientConnection, type ClientConnectionOptions, type ConnectionHandlers } from './client-connection.js';
import type { DescriptorBudget } from '../descriptor-budget.js';

export class Http1Server {
  private readonly server: Server;
  private readonly connections = new Set<ClientConnection>();
  private sweep?: NodeJS.Timeout;

  constructor(
    private readonly options: ClientConnectionOptions,
    private readonly handlers: ConnectionHandlers,
    /** Accepted connections count against it; one over it is closed at once, before a byte is read. */
    budget?: DescriptorBudget,
  ) {
    // Half-open allowed: a client may finish sending and still wait for its answer.
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      if (budget && !budget.hold(socket)) return void socket.destroy();
      this.handlers.accepted?.(socket);
      this.accept(socket);
    });
  }

  /** Serves HTTP on a connection that did not come from this server's listener (a terminated TLS tunnel). */
  accept(socket: Socket): void {
    const connection = new ClientConnection(socket, this.options, this.handlers);
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
    this.sweep ??= setInterval(() => this.expire(), Math.min(1_000, this.options.headersMs, this.options.keepAliveMs)).unref();
  }

  private expire(): void {
    const now = performance.now();
    for (const connection of this.connections) if (connection.deadline !== 0 && connection.deadline <= now) connection.timedOut();
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  /** Stops listening and closes every connection, tunnels handed over included. */
  async close(): Promise<void> {
    clearInterval(this.sweep);
    const closed = this.server.listening ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    for (const connection of this.connections) connection.socket.destroy();
    await closed;
  }
}
