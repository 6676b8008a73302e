// The egress proxy: HTTP forward proxying (absolute-URI requests, keep-alive) and CONNECT tunnels, on
// Node's own HTTP server (strict parsing, header-size limits and slowloris timeouts come with it). Every
// connection is decided by the core before a byte goes upstream.
import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EnforcementCore, Verdict } from '../engine/enforcement-core.js';
import { classifyIp } from '../policy/ip.js';
import { parseHostPort } from '../net/host-port.js';
import type { Resolver } from '../net/resolver.js';
import { denialBody, rawDenial } from './denial.js';
import { TlsInterceptor, type InterceptTarget, type LeafIssuer } from './tls-interceptor.js';
import { SpliceRelay } from './splice-relay.js';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';

export interface ClientIdentity {
  binary: string;
  pid?: number;
  /** Called once when the client's connection ends (identity keeps hints about freed fds). */
  closed?: () => void;
}

export interface ProxyOptions {
  core: EnforcementCore;
  resolver: Resolver;
  /** Who owns the client socket (binary identity); 'unknown' when it cannot be told. */
  identify?: (socket: Socket) => Promise<ClientIdentity>;
  /** Permit loopback upstreams (local services, tests). Off by default. */
  allowLoopback?: boolean;
  /** Issues leaf certificates for TLS termination on inspected endpoints. Without it, such CONNECTs are refused. */
  tls?: LeafIssuer;
  /** Client timeouts; a client that dribbles its headers (slowloris) is cut off after headersMs. */
  timeouts?: { headersMs?: number; requestMs?: number };
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

// Headers that describe one hop and must not be forwarded (RFC 9110 §7.6.1), plus proxy credentials.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export class EgressProxy {
  readonly stats: ProxyStats = { requests: 0, tunnels: 0, splicedTunnels: 0, denied: 0, clientErrors: 0 };
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly identities = new WeakMap<Socket, Promise<ClientIdentity>>();
  private readonly upstreamAgent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly upstreamTlsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 256 });
  private readonly interceptor?: TlsInterceptor;
  private readonly splice?: SpliceRelay;
  /** Client sockets whose connection lives on in the kernel relay after Node's socket closed. */
  private readonly relayed = new WeakSet<Socket>();
  /** This proxy's tunnels in the kernel relay, ended by close(). */
  private readonly relayedTunnels = new Set<number>();

  constructor(private readonly options: ProxyOptions) {
    if (options.splice !== false) this.splice = SpliceRelay.load();
    if (options.tls) this.interceptor = new TlsInterceptor(options.tls, (req, res, target) => void this.inspected(req, res, target).catch((error) => this.fail(res, error)));
  }

  /** One HTTP server per listening address, all sharing the same handlers. */
  private createListener(): Server {
    const headersMs = this.options.timeouts?.headersMs ?? 10_000;
    const server = createServer({
      maxHeaderSize: 16 * 1024,
      headersTimeout: headersMs,
      requestTimeout: this.options.timeouts?.requestMs ?? 120_000,
      keepAliveTimeout: 5_000,
      // Node checks the timeouts above only this often (30 s by default): check at least once a second.
      connectionsCheckingInterval: Math.min(1_000, headersMs),
    });
    server.on('request', (req, res) => void this.forward(req, res).catch((error) => this.fail(res, error)));
    server.on('connect', (req, socket, head) => void this.tunnel(req, socket as Socket, head).catch(() => socket.destroy()));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // Garbage, oversized headers, slow clients: answer 400 (or just close) on that connection only.
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      this.stats.clientErrors++;
      if (socket.writable && error.code !== 'ECONNRESET') {
        const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      }
      socket.destroy();
    });
    return server;
  }

  /** Listens on one more address (the first call is the main one; `run --isolate` adds the namespace side). */
  async listen(host: string, port: number): Promise<AddressInfo> {
    const server = this.createListener();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.servers.push(server);
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const closed = Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    for (const socket of this.sockets) socket.destroy();
    for (const id of this.relayedTunnels) this.splice?.stop(id);
    this.upstreamAgent.destroy();
    this.upstreamTlsAgent.destroy();
    await closed;
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

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' }).end('openshell-term is a proxy: send absolute-form requests (http://host/path) or CONNECT\n');
      return;
    }
    if (url.protocol !== 'http:') {
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' }).end(`unsupported scheme ${url.protocol}; use CONNECT for https\n`);
      return;
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port ? Number(url.port) : 80;
    const who = await this.identify(req.socket);
    const query: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
    const verdict = await this.options.core.evaluate(
      { host, port, binary: who.binary, pid: who.pid, method: req.method ?? 'GET', path: url.pathname, query },
      { method: req.method ?? 'GET', path: url.pathname },
    );
    if (!verdict.allowed) return this.deny(res, host, port, verdict.decision.stage, verdict.decision.reason, verdict);
    const destination = await this.destination(host, verdict);
    if ('denied' in destination) return this.deny(res, host, port, 'ssrf', destination.denied, verdict);
    const target = destination.address;
    this.relay(req, res, { host, port, address: target, path: url.pathname + url.search, secure: false });
  }

  /** A request decrypted inside an inspected tunnel: decided on method and path, then re-encrypted upstream. */
  private async inspected(req: IncomingMessage, res: ServerResponse, target: InterceptTarget): Promise<void> {
    this.stats.requests++;
    const raw = req.url ?? '/';
    const url = new URL(raw.startsWith('/') ? raw : `/${raw}`, 'https://inspected.invalid');
    const query: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
    const method = req.method ?? 'GET';
    const verdict = await this.options.core.evaluate(
      { host: target.host, port: target.port, binary: target.binary, pid: target.pid, method, path: raw.split('?')[0], query },
      { method, path: url.pathname },
    );
    if (!verdict.allowed) return this.deny(res, target.host, target.port, verdict.decision.stage, verdict.decision.reason, verdict);
    this.relay(req, res, { host: target.host, port: target.port, address: target.address, path: raw, secure: true });
  }

  private relay(req: IncomingMessage, res: ServerResponse, to: { host: string; port: number; address: string; path: string; secure: boolean }) {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    const options = { host: to.address, port: to.port, method: req.method, path: to.path, headers, setHost: false };
    const upstream = to.secure
      ? httpsRequest({ ...options, agent: this.upstreamTlsAgent, servername: isIP(to.host) ? undefined : to.host })
      : httpRequest({ ...options, agent: this.upstreamAgent });
    upstream.on('response', (up) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(up.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
      up.pipe(res);
    });
    upstream.on('error', (error) => this.fail(res, error));
    req.pipe(upstream);
  }

  private async tunnel(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    this.stats.tunnels++;
    socket.on('error', () => socket.destroy());
    const target = parseHostPort(req.url ?? '');
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
      const [stage, reason] = destination && 'denied' in destination ? ['ssrf', destination.denied] : [verdict.decision.stage, verdict.decision.reason];
      socket.end(rawDenial({ host: target.host, port: target.port, stage, reason, requestId: verdict.request?.id }));
      return;
    }
    const address = destination.address;
    const inspect = verdict.decision.inspect;
    if (inspect && inspect.tls !== 'skip') {
      // L7 rules apply inside this tunnel: terminate TLS and decide every request, or refuse — never tunnel blind.
      if (!this.interceptor) {
        this.stats.denied++;
        socket.end(rawDenial({ host: target.host, port: target.port, stage: 'l7', reason: 'this endpoint has L7 rules but TLS inspection is not available in this core' }));
        return;
      }
      await this.interceptor.intercept(socket, head, { host: target.host, port: target.port, address, binary: who.binary, pid: who.pid });
      return;
    }
    const upstream = connect({ host: address, port: target.port });
    upstream.setNoDelay(true);
    upstream.once('connect', () => {
      const relayed = this.splice?.relay(socket, upstream, head, CONNECT_ESTABLISHED);
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
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    upstream.on('error', () => {
      if (!socket.destroyed) socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  }

  private deny(res: ServerResponse, host: string, port: number, stage: string, reason: string, verdict?: Verdict) {
    this.stats.denied++;
    if (res.headersSent) return void res.destroy();
    const body = denialBody({ host, port, stage, reason, requestId: verdict?.request?.id });
    // A Content-Length (not chunked framing) lets Node send the whole answer in one write.
    res.writeHead(403, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-openshell-deny-reason': reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 200),
    });
    res.end(body);
  }

  private fail(res: ServerResponse, error: unknown) {
    if (res.headersSent) return void res.destroy();
    res.writeHead(502, { 'content-type': 'text/plain' }).end(`upstream error: ${(error as NodeJS.ErrnoException).code ?? 'error'}\n`);
  }
}
