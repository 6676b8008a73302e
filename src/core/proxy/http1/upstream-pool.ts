// Keep-alive connections to upstream servers, by address, port and TLS name: an exchange takes an idle one
// or a new one, and a connection that finished cleanly comes back for the next exchange to that
// destination. Connections that failed, or whose last exchange was anything but a clean request/response,
// never come back.
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { UpstreamConnection, upstreamError, type UpstreamTimeouts } from './upstream-connection.js';
import type { DescriptorBudget } from '../descriptor-budget.js';
import type { PoolMembership, UpstreamSource, UpstreamTls } from './contracts.js';

/** At most this many idle connections are kept per destination. */
const MAX_IDLE_PER_KEY = 64;

export interface UpstreamPoolOptions {
  /** The roots upstream certificates are verified against (default: Node's). */
  ca?: string | Buffer | Array<string | Buffer>;
  timeouts?: Partial<UpstreamTimeouts>;
  /** Every upstream socket counts against it; over it, acquire() throws (ECONNLIMIT). */
  budget?: DescriptorBudget;
}

/** The error for an upstream socket the descriptor budget has no room for. */
export function overBudget(budget: DescriptorBudget): NodeJS.ErrnoException {
  return upstreamError(
    `the proxy holds as many sockets as its descriptor budget allows (${budget.limit}); the agent has too many connections open`,
    'ECONNLIMIT',
  );
}

export class UpstreamPool implements UpstreamSource, PoolMembership<UpstreamConnection> {
  private readonly idle = new Map<string, UpstreamConnection[]>();
  private readonly open = new Set<UpstreamConnection>();
  private readonly timeouts: UpstreamTimeouts;

  constructor(private readonly options: UpstreamPoolOptions = {}) {
    this.timeouts = {
      connectMs: options.timeouts?.connectMs ?? 15_000,
      responseMs: options.timeouts?.responseMs ?? 300_000,
      // Servers close idle connections sooner or later anyway.
      idleMs: options.timeouts?.idleMs ?? 15_000,
    };
  }

  acquire(address: string, port: number, tls?: UpstreamTls, fresh = false): UpstreamConnection {
    const key = tls ? `tls|${tls.servername ?? ''}|${address}|${port}` : `${address}|${port}`;
    const idle = fresh ? undefined : this.idle.get(key);
    const pooled = idle?.pop();
    if (pooled) return pooled;
    const budget = this.options.budget;
    if (budget && !budget.take()) throw overBudget(budget);
    const socket = tls
      ? tlsConnect({ host: address, port, servername: tls.servername, ALPNProtocols: ['http/1.1'], ca: this.options.ca })
      : tcpConnect({ host: address, port });
    budget?.releaseOn(socket);
    const connection = new UpstreamConnection(socket, key, this, this.timeouts, tls !== undefined);
    this.open.add(connection);
    return connection;
  }

  release(connection: UpstreamConnection): void {
    const idle = this.idle.get(connection.key) ?? [];
    if (idle.length >= MAX_IDLE_PER_KEY) return connection.destroy();
    connection.parked();
    idle.push(connection);
    this.idle.set(connection.key, idle);
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
