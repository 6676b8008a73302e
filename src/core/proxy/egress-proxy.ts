// The egress proxy: HTTP forward proxying (absolute-URI requests, keep-alive) and CONNECT tunnels.
// Requests are parsed by Node's own llhttp parser, driven directly (http1/): the same strictness and
// limits as node:http, without its per-request stream objects. Every connection is decided by the core
// before a byte goes upstream.
import { connect, isIP, type AddressInfo, type Socket } from 'node:net';
import type { EnforcementCore, Verdict } from '../engine/enforcement-core.js';
import { classifyIp } from '../policy/ip.js';
import { bracketHost, parseHostPort, stripBrackets } from '../net/host-port.js';
import type { Resolver } from '../net/resolver.js';
import { denialBody, denialReasonHeader, rawDenial } from './denial.js';
import { TlsInterceptor, type InterceptTarget, type LeafIssuer } from './tls-interceptor.js';
import { SpliceRelay } from './splice-relay.js';
import { Http1Server } from './http1/http1-server.js';
import type { Exchange } from './http1/exchange.js';
import type { MessageHead } from './http1/llhttp.js';
import { UpstreamPool } from './http1/upstream-pool.js';

export interface ClientIdentity {
  binary: string;
  pid?: number;
  /** Why `binary` is 'unknown', for the operator (e.g. the socket is held by processes running different binaries). */
  reason?: string;
  /** Called once when the client's connection ends (identity keeps hints about freed fds). */
  closed?: () => void;
}

export interface ProxyOptions {
  core: EnforcementCore;
  resolver: Resolver;
  /** Who owns the client socket (binary identity); 'unknown' when it cannot be told. `arrived`, when given, is
   *  called as each connection is accepted, before any byte of it is read. */
  identify?: ((socket: Socket) => Promise<ClientIdentity>) & { arrived?: (socket: Socket) => void };
  /** Permit loopback upstreams (local services, tests). Off by default. */
  allowLoopback?: boolean;
  /** Issues leaf certificates for TLS termination on inspected endpoints. Without it, such CONNECTs are refused. */
  tls?: LeafIssuer;
  /** Client timeouts; a client that dribbles its headers (slowloris) is cut off after headersMs. */
  timeouts?: { headersMs?: number; requestMs?: number; keepAliveMs?: number };
  /** Relay plain tunnels in the kernel (splice) when the native relay is built; default true. */
  splice?: boolean;
}

export interface ProxyStats {
  requests: number;
  tunnels: number;
  /** Tunnels handed to the kernel relay (the rest are piped through Node streams). */
  splicedTunnels: number;
  denied: number;
  clientErrors: number;
}

const CONNECT_ESTABLISHED = Buffer.from('HTTP/1.1 200 Connection Established\r\n\r\n');

/** A request's target, split for the decision and for the upstream. */
interface ProxyTarget {
  host: string;
  port: number;
  /** Host header for the upstream. */
  authority: string;
  /** Path and query as sent upstream. */
  path: string;
  /** The path the request is decided on. */
  decidedPath: string;
  /** The path its L7 sample (method, path) shows. */
  pathname: string;
  query: Record<string, string[]>;
}

type ParsedTarget = ProxyTarget | { invalid: string };

function queryOf(url: URL): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
  return query;
}

/** An absolute-form request-target (http://host[:port]/path?query), as a client configured with a proxy sends it. */
function absoluteTarget(raw: string): ParsedTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { invalid: 'openshell-term is a proxy: send absolute-form requests (http://host/path) or CONNECT\n' };
  }
  if (url.protocol !== 'http:') return { invalid: `unsupported scheme ${url.protocol}; use CONNECT for https\n` };
  const port = url.port ? Number(url.port) : 80;
  return {
    host: stripBrackets(url.hostname),
    port,
    authority: url.host,
    path: url.pathname + url.search,
    decidedPath: url.pathname,
    pathname: url.pathname,
    query: queryOf(url),
  };
}

/**
 * An origin-form target inside an inspected tunnel (/path?query). The path is appended to a fixed origin
 * rather than resolved against it, so "//other.host/x" stays a path (never a host), forwarded as sent and
 * decided after the policy's own path canonicalisation, as upstream OpenShell decides it.
 */
function originTarget(raw: string, target: InterceptTarget): ParsedTarget {
  if (!raw.startsWith('/')) return { invalid: 'inside a tunnel, send origin-form requests (/path?query)\n' };
  const url = new URL(`https://inspected.invalid${raw}`);
  const host = bracketHost(target.host);
  const authority = target.port === 443 ? host : `${host}:${target.port}`;
  return {
    host: target.host,
    port: target.port,
    authority,
    path: raw,
    decidedPath: raw.split('?')[0],
    pathname: url.pathname,
    query: queryOf(url),
  };
}

export class EgressProxy {
  readonly stats: ProxyStats = { requests: 0, tunnels: 0, splicedTunnels: 0, denied: 0, clientErrors: 0 };
  private readonly listeners: Http1Server[] = [];
  private readonly identities = new WeakMap<Socket, Promise<ClientIdentity>>();
  private readonly upstreams = new UpstreamPool();
  private readonly interceptor?: TlsInterceptor;
  /** Serves the decrypted side of inspected tunnels. */
  private readonly inspectedServer?: Http1Server;
  private readonly splice?: SpliceRelay;
  /** Client sockets whose connection lives on in the kernel relay after Node's socket closed. */
  private readonly relayed = new WeakSet<Socket>();
  /** This proxy's tunnels in the kernel relay, ended by close(). */
  private readonly relayedTunnels = new Set<number>();

  constructor(private readonly options: ProxyOptions) {
    if (options.splice !== false) this.splice = SpliceRelay.load();
    if (options.tls) {
      const inspected = this.createServer({
        request: (exchange) => void this.inspected(exchange).catch((error) => exchange.badGateway(error)),
        connect: (_head, socket) => socket.destroy(),
      });
      this.inspectedServer = inspected;
      this.interceptor = new TlsInterceptor(options.tls, (socket) => inspected.accept(socket));
    }
  }

  private createServer(handlers: {
    request: (exchange: Exchange) => void;
    connect: (head: MessageHead, socket: Socket, early: Buffer) => void;
    accepted?: (socket: Socket) => void;
  }): Http1Server {
    const timeouts = this.options.timeouts;
    return new Http1Server(
      {
        maxHeaderSize: 16 * 1024,
        headersMs: timeouts?.headersMs ?? 10_000,
        requestMs: timeouts?.requestMs ?? 120_000,
        keepAliveMs: timeouts?.keepAliveMs ?? 5_000,
      },
      // Garbage, oversized headers, slow clients: answered (400/431/408) and closed, that connection only.
      { ...handlers, clientError: () => void this.stats.clientErrors++ },
    );
  }

  /** Listens on one more address (the first call is the main one; `run --isolate` adds the namespace side). */
  async listen(host: string, port: number): Promise<AddressInfo> {
    const server = this.createServer({
      request: (exchange) => void this.forward(exchange).catch((error) => exchange.badGateway(error)),
      connect: (head, socket, early) => void this.tunnel(head, socket, early).catch(() => socket.destroy()),
      // Identity takes a first, quick look the moment a client connects, not only when its request is
      // complete: a process that connects, writes half a request and then execs an allowed binary (which
      // writes the rest) is judged by what it ran when it connected too.
      accepted: (socket) => this.options.identify?.arrived?.(socket),
    });
    const address = await server.listen(host, port);
    this.listeners.push(server);
    return address;
  }

  async close(): Promise<void> {
    for (const id of this.relayedTunnels) this.splice?.stop(id);
    this.upstreams.close();
    await Promise.all([...this.listeners, ...(this.inspectedServer ? [this.inspectedServer] : [])].map((server) => server.close()));
  }

  /** Who is on the other end: looked up once per client connection (keep-alive requests reuse it). */
  private identify(socket: Socket): Promise<ClientIdentity> {
    let known = this.identities.get(socket);
    if (!known) {
      known = (async () => {
        try {
          return (await this.options.identify?.(socket)) ?? { binary: 'unknown' };
        } catch {
          return { binary: 'unknown' };
        }
      })();
      this.identities.set(socket, known);
      socket.once('close', () => {
        if (!this.relayed.has(socket)) void known!.then((who) => who.closed?.());
      });
    }
    return known;
  }

  /**
   * Resolves an allowed host and runs the destination guard on the answer. With --allow-loopback an
   * all-loopback answer is taken as the operator's intent (local services, tests).
   */
  private async destination(host: string, verdict: Verdict): Promise<{ address: string } | { denied: string }> {
    let ips: string[];
    try {
      ips = await this.options.resolver.resolve(host);
    } catch (error) {
      return { denied: `DNS resolution failed for ${host}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` };
    }
    if (ips.length === 0) return { denied: `DNS resolution returned no addresses for ${host}` };
    const loopbackOnly = ips.every((ip) => classifyIp(ip) === 'loopback');
    if (!(this.options.allowLoopback && loopbackOnly) && verdict.withAddresses) {
      const checked = verdict.withAddresses(ips);
      if (checked.outcome !== 'allow') return { denied: checked.reason };
    }
    return { address: ips[0] };
  }

  /** Decides one HTTP request on its method and path; a refused one is answered 403 here (undefined). */
  private async decide(exchange: Exchange, target: ProxyTarget, who: { binary: string; pid?: number }): Promise<Verdict | undefined> {
    const method = exchange.head.method;
    const verdict = await this.options.core.evaluate(
      { host: target.host, port: target.port, binary: who.binary, pid: who.pid, method, path: target.decidedPath, query: target.query },
      { method, path: target.pathname },
    );
    if (verdict.allowed) return verdict;
    this.deny(exchange, target.host, target.port, verdict.decision.stage, verdict.decision.reason, verdict);
    return undefined;
  }

  /** A request-target this proxy cannot serve: 400, and the connection closes. */
  private badTarget(exchange: Exchange, why: string): void {
    exchange.respond(400, 'Bad Request', { 'Content-Type': 'text/plain' }, why, true);
  }

  /** A plain-HTTP request from a client of the proxy. */
  private async forward(exchange: Exchange): Promise<void> {
    this.stats.requests++;
    const target = absoluteTarget(exchange.head.url);
    if ('invalid' in target) return this.badTarget(exchange, target.invalid);
    const verdict = await this.decide(exchange, target, await this.identify(exchange.connection.socket));
    if (!verdict) return;
    const destination = await this.destination(target.host, verdict);
    if ('denied' in destination) return this.deny(exchange, target.host, target.port, 'ssrf', destination.denied, verdict);
    exchange.forward(this.upstreams, { address: destination.address, port: target.port, authority: target.authority, path: target.path });
  }

  /** A request decrypted inside an inspected tunnel: decided on method and path, then re-encrypted upstream. */
  private async inspected(exchange: Exchange): Promise<void> {
    const tunnel = this.interceptor?.targetOf(exchange.connection.socket);
    if (!tunnel) return exchange.connection.abort();
    this.stats.requests++;
    const target = originTarget(exchange.head.url, tunnel);
    if ('invalid' in target) return this.badTarget(exchange, target.invalid);
    if (!(await this.decide(exchange, target, tunnel))) return;
    exchange.forward(this.upstreams, {
      address: tunnel.address,
      port: tunnel.port,
      authority: target.authority,
      path: target.path,
      tls: { servername: isIP(tunnel.host) ? undefined : tunnel.host },
    });
  }

  private async tunnel(head: MessageHead, socket: Socket, early: Buffer): Promise<void> {
    this.stats.tunnels++;
    socket.on('error', () => socket.destroy());
    const target = parseHostPort(head.url);
    if (!target) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const who = await this.identify(socket);
    const verdict = await this.options.core.evaluate({ host: target.host, port: target.port, binary: who.binary, pid: who.pid });
    if (socket.destroyed) return;
    const destination = verdict.allowed ? await this.destination(target.host, verdict) : undefined;
    if (!verdict.allowed || !destination || 'denied' in destination) {
      this.stats.denied++;
      const [stage, reason] =
        destination && 'denied' in destination ? ['ssrf', destination.denied] : [verdict.decision.stage, verdict.decision.reason];
      socket.end(rawDenial({ host: target.host, port: target.port, stage, reason, requestId: verdict.request?.id }));
      return;
    }
    const address = destination.address;
    const inspect = verdict.decision.inspect;
    if (inspect && inspect.tls !== 'skip') {
      // L7 rules apply inside this tunnel: terminate TLS and decide every request, or refuse — never tunnel blind.
      if (!this.interceptor) {
        this.stats.denied++;
        socket.end(
          rawDenial({
            host: target.host,
            port: target.port,
            stage: 'l7',
            reason: 'this endpoint has L7 rules but TLS inspection is not available in this core',
          }),
        );
        return;
      }
      await this.interceptor.intercept(socket, early, { host: target.host, port: target.port, address, binary: who.binary, pid: who.pid });
      return;
    }
    const upstream = connect({ host: address, port: target.port });
    upstream.setNoDelay(true);
    upstream.once('connect', () => {
      const relayed = this.splice?.relay(socket, upstream, early, CONNECT_ESTABLISHED);
      if (relayed) {
        this.stats.splicedTunnels++;
        this.relayed.add(socket);
        this.relayedTunnels.add(relayed.id);
        void relayed.ended.then(() => {
          this.relayedTunnels.delete(relayed.id);
          who.closed?.();
        });
        return;
      }
      socket.write(CONNECT_ESTABLISHED);
      if (early.length > 0) upstream.write(early);
      socket.pipe(upstream);
      upstream.pipe(socket);
      socket.resume();
    });
    upstream.on('error', () => {
      if (!socket.destroyed) socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  }

  private deny(exchange: Exchange, host: string, port: number, stage: string, reason: string, verdict?: Verdict) {
    this.stats.denied++;
    const body = denialBody({ host, port, stage, reason, requestId: verdict?.request?.id });
    exchange.respond(403, 'Forbidden', { 'Content-Type': 'application/json', 'X-OpenShell-Deny-Reason': denialReasonHeader(reason) }, body);
  }
}
