// The egress proxy: HTTP forward proxying (absolute-URI requests, keep-alive), CONNECT tunnels, TLS
// inspection of tunnels to endpoints with L7 rules, and WebSocket upgrades. Requests are parsed by Node's
// own llhttp parser, driven directly (http1/): the same strictness and limits as node:http, without its
// per-request stream objects. Every request is decided by the core, on the path that is then forwarded,
// before a byte goes upstream; what fails upstream after an allow is answered 502/504 and audited as such.
import { connect, isIP, type AddressInfo, type Socket } from 'node:net';
import type { EnforcementCore, Verdict } from '../engine/enforcement-core.js';
import { classifyIp } from '../policy/ip.js';
import { parseHostPort } from '../net/host-port.js';
import type { Resolver } from '../net/resolver.js';
import { badRequestBody, denialBody, denialReasonHeader, denialReasonPhrase, rawDenial, type DenialInfo } from './denial.js';
import { TlsInterceptor, type InterceptTarget, type LeafIssuer } from './tls-interceptor.js';
import { SpliceRelay } from './splice-relay.js';
import { Http1Server } from './http1/http1-server.js';
import type { Exchange } from './http1/exchange.js';
import type { MessageHead } from './http1/llhttp.js';
import { overBudget, UpstreamPool } from './http1/upstream-pool.js';
import { DescriptorBudget, openFileLimit, operatorReserve } from './descriptor-budget.js';
import { absoluteTarget, originTarget, type ProxyTarget } from './request-target.js';
import { classifyFailure, failureStatusText, rawUpstreamFailure, upstreamFailureBody, type UpstreamFailure } from './upstream-failure.js';
import { upstreamError } from './http1/upstream-connection.js';
import { clientGoneSignal, watchPausedClient } from '../net/client-gone.js';
import type { BodyNeeds } from '../policy/body-needs.js';
import { headerRecord } from './http1/header-record.js';
import { jsonRpcDenialBody } from './jsonrpc-denial.js';

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
  /** Where the CA certificate agents must trust lives (named in the fix when an agent's TLS handshake fails). */
  caCertPath?: string;
  /**
   * Whether a refused CONNECT from this client is explained inside the tunnel: answered 200, TLS terminated
   * with a leaf from our CA, and the first request answered 403 with the JSON reason. Only for clients that
   * trust the CA (agents started by `run`); everyone else gets the 403 (reason phrase and JSON) on the CONNECT.
   */
  explainDenialsInTls?: (identity: ClientIdentity) => boolean;
  /** Client timeouts; a client that dribbles its headers (slowloris) is cut off after headersMs. */
  timeouts?: {
    headersMs?: number;
    requestMs?: number;
    keepAliveMs?: number;
    /** Connecting to an upstream (TCP, and TLS for inspected tunnels): past it, a 504. Default 15 s. */
    upstreamConnectMs?: number;
    /** An upstream silent while it owes an answer: past it, a 504. Default 300 s. */
    upstreamResponseMs?: number;
  };
  /** Relay plain tunnels in the kernel (splice) when the native relay is built; default true. */
  splice?: boolean;
  /**
   * The roots upstream TLS certificates are verified against (PEM). Default: Node's (the system roots, plus
   * NODE_EXTRA_CA_CERTS). For a private CA in front of every upstream, and for tests.
   */
  upstreamCa?: string | Buffer | Array<string | Buffer>;
  /**
   * Most file descriptors the proxy's sockets may hold (agent connections, upstream sockets, relayed
   * tunnels). Default: the process's open-file limit less a reserve for the operator's side (feed, gRPC,
   * files); unbounded where the limit cannot be read. See descriptor-budget.ts.
   */
  maxSockets?: number;
}

export interface ProxyStats {
  requests: number;
  tunnels: number;
  /** Tunnels handed to the kernel relay (the rest are piped through Node streams). */
  splicedTunnels: number;
  denied: number;
  clientErrors: number;
  /** Allowed requests and tunnels whose upstream failed (502/504). */
  upstreamFailures: number;
}

const CONNECT_ESTABLISHED = Buffer.from('HTTP/1.1 200 Connection Established\r\n\r\n');

type Destination = { address: string } | { denied: string } | { failed: NodeJS.ErrnoException };

/** Who asked, for decisions and audit records. */
interface Requester {
  binary: string;
  pid?: number;
}

export class EgressProxy {
  readonly stats: ProxyStats = { requests: 0, tunnels: 0, splicedTunnels: 0, denied: 0, clientErrors: 0, upstreamFailures: 0 };
  private readonly listeners: Http1Server[] = [];
  private readonly identities = new WeakMap<Socket, Promise<ClientIdentity>>();
  private readonly upstreams: UpstreamPool;
  private readonly interceptor?: TlsInterceptor;
  /** Serves the decrypted side of inspected tunnels. */
  private readonly inspectedServer?: Http1Server;
  private readonly splice?: SpliceRelay;
  /** Client sockets whose connection lives on in the kernel relay after Node's socket closed. */
  private readonly relayed = new WeakSet<Socket>();
  /** This proxy's tunnels in the kernel relay, ended by close(). */
  private readonly relayedTunnels = new Set<number>();
  private readonly connectMs: number;
  private readonly budget?: DescriptorBudget;

  constructor(private readonly options: ProxyOptions) {
    this.connectMs = options.timeouts?.upstreamConnectMs ?? 15_000;
    const fileLimit = openFileLimit();
    const maxSockets = options.maxSockets ?? (fileLimit === undefined ? undefined : fileLimit - operatorReserve(fileLimit));
    if (maxSockets !== undefined)
      this.budget = new DescriptorBudget(maxSockets, (budget) =>
        options.core.log(
          'warn',
          'proxy',
          `refusing agent connections: the proxy's sockets reached their connection budget of ${budget.limit} file descriptors` +
            ` (${budget.refused} refused so far); the rest${fileLimit ? ` of the core's ${fileLimit}` : ''} are kept for the operator (feed, gRPC, audit log).` +
            ' An agent is holding too many connections or tunnels open.',
        ),
      );
    this.upstreams = new UpstreamPool({
      ca: options.upstreamCa,
      timeouts: { connectMs: this.connectMs, responseMs: options.timeouts?.upstreamResponseMs },
      budget: this.budget,
    });
    if (options.splice !== false) this.splice = SpliceRelay.load();
    if (options.tls) {
      const inspected = this.createServer({
        request: (exchange) => void this.inspected(exchange).catch((error) => exchange.badGateway(error)),
        connect: (_head, socket) => socket.destroy(),
      });
      this.inspectedServer = inspected;
      this.interceptor = new TlsInterceptor(
        options.tls,
        (socket) => inspected.accept(socket),
        (target, why) => this.handshakeFailed(target, why),
        options.timeouts?.headersMs ?? 10_000,
      );
    }
  }

  private createServer(
    handlers: {
      request: (exchange: Exchange) => void;
      connect: (head: MessageHead, socket: Socket, early: Buffer) => void;
      accepted?: (socket: Socket) => void;
    },
    budget?: DescriptorBudget,
  ): Http1Server {
    const timeouts = this.options.timeouts;
    return new Http1Server(
      {
        maxHeaderSize: 16 * 1024,
        headersMs: timeouts?.headersMs ?? 10_000,
        requestMs: timeouts?.requestMs ?? 120_000,
        keepAliveMs: timeouts?.keepAliveMs ?? 5_000,
      },
      // Garbage, oversized headers, slow clients, requests the engine cannot forward faithfully: answered
      // (400/431/408/501) and closed, that connection only.
      {
        ...handlers,
        clientError: (_code, detail) => {
          this.stats.clientErrors++;
          if (detail) this.options.core.log('info', 'proxy', `refused a request the proxy cannot forward as sent: ${detail}`);
        },
      },
      budget,
    );
  }

  /** Listens on one more address (the first call is the main one; `run --isolate` adds the namespace side). */
  async listen(host: string, port: number): Promise<AddressInfo> {
    const server = this.createServer(
      {
        request: (exchange) => void this.forward(exchange).catch((error) => exchange.badGateway(error)),
        connect: (head, socket, early) => void this.tunnel(head, socket, early).catch(() => socket.destroy()),
        // Identity takes a first, quick look the moment a client connects, not only when its request is
        // complete: a process that connects, writes half a request and then execs an allowed binary (which
        // writes the rest) is judged by what it ran when it connected too.
        accepted: (socket) => this.options.identify?.arrived?.(socket),
      },
      this.budget,
    );
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
   * all-loopback answer is taken as the operator's intent (local services, tests); metadata and
   * link-local addresses stay refused by the guard. A name that does not resolve is an upstream failure
   * (502), not a denial: the policy allowed it.
   */
  private async destination(host: string, verdict: Verdict): Promise<Destination> {
    let ips: string[];
    try {
      ips = await this.options.resolver.resolve(host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'ENOTFOUND';
      return { failed: upstreamError(`DNS resolution failed for ${host}: ${code}`, code) };
    }
    if (ips.length === 0) return { failed: upstreamError(`DNS resolution returned no addresses for ${host}`, 'ENOTFOUND') };
    const loopbackOnly = ips.every((ip) => classifyIp(ip) === 'loopback');
    if (!(this.options.allowLoopback && loopbackOnly) && verdict.withAddresses) {
      const checked = verdict.withAddresses(ips);
      if (checked.outcome !== 'allow') return { denied: checked.reason };
    }
    return { address: ips[0] };
  }

  /**
   * Decides one HTTP request; a refused one is answered here (undefined). On an endpoint decided on the
   * body (json-rpc, mcp, graphql) the body is read first, up to the endpoint's limit, and the decision
   * gets the headers and that body; exactly those bytes are what forward() then sends.
   */
  private async decide(exchange: Exchange, target: ProxyTarget, who: Requester): Promise<Verdict | undefined> {
    const method = exchange.head.method;
    // The engine refuses requests whose method it cannot name before they get here; never decide one anyway.
    if (!method)
      return void exchange.respond(501, 'Not Implemented', { 'Content-Type': 'application/json' }, badRequestBody('unnamed method'), true);
    const needs = this.options.core.inspectionNeeds(target.host, target.port, who.binary, target.decidedPath);
    let body: Buffer | undefined;
    let headers: Record<string, string | string[]> | undefined;
    if (needs) {
      const read = await this.readBody(exchange, target, who, needs);
      if (read === null) return undefined;
      body = read;
      headers = headerRecord(exchange.head.headers);
    }
    const verdict = await this.options.core.evaluate(
      {
        host: target.host,
        port: target.port,
        binary: who.binary,
        pid: who.pid,
        method,
        path: target.decidedPath,
        query: target.query,
        headers,
        body,
        // A held request gives its slot back the moment its client goes away.
        signal: clientGoneSignal(exchange.connection.socket as Socket),
      },
      { method, path: target.decidedPath },
    );
    if (verdict.allowed) return verdict;
    const denial: DenialInfo = {
      host: target.host,
      port: target.port,
      stage: verdict.decision.stage,
      reason: verdict.decision.reason,
      requestId: verdict.request?.id,
    };
    const rpc = needs?.protocol === 'json-rpc' || needs?.protocol === 'mcp';
    this.deny(exchange, denial, rpc ? jsonRpcDenialBody(denial, body) : undefined);
    return undefined;
  }

  /**
   * The whole body of a request the decision reads, or undefined when it has none. null when it was refused
   * here (a body over the endpoint's inspection limit: 413, audited, and nothing reaches the upstream) or the
   * client went away. A client waiting on `Expect: 100-continue` is told to send only when the body will be
   * read: a declared length over the limit is refused at once, before any of it is sent.
   */
  private async readBody(exchange: Exchange, target: ProxyTarget, who: Requester, needs: BodyNeeds): Promise<Buffer | undefined | null> {
    const framing = exchange.request;
    if (!framing.chunked && framing.length === undefined) return undefined;
    if (framing.length === undefined || framing.length <= needs.bodyLimit) {
      exchange.continueBody();
      const body = await exchange.collectBody(needs.bodyLimit);
      if (body) return body;
      if (exchange.connection.socket.destroyed) return null;
    }
    const size = framing.length === undefined ? 'a chunked body' : `a body of ${framing.length} bytes`;
    const reason = `${exchange.head.method} ${target.decidedPath}: ${size} exceeds the ${needs.bodyLimit} byte inspection limit of this ${needs.protocol} endpoint; refused unread`;
    this.stats.denied++;
    this.options.core.refusedUnread(
      { host: target.host, port: target.port, binary: who.binary, pid: who.pid, method: exchange.head.method, path: target.decidedPath },
      reason,
    );
    const denial: DenialInfo = { host: target.host, port: target.port, stage: 'l7', reason };
    exchange.respond(
      413,
      'Content Too Large',
      { 'Content-Type': 'application/json', 'X-OpenShell-Deny-Reason': denialReasonHeader(reason) },
      denialBody(denial),
      true,
    );
    return null;
  }

  /** A request-target this proxy cannot serve, or cannot forward as it was decided: 400, and the connection closes. */
  private badTarget(exchange: Exchange, why: string): void {
    exchange.respond(400, 'Bad Request', { 'Content-Type': 'application/json' }, badRequestBody(why), true);
  }

  /** A plain-HTTP request from a client of the proxy. */
  private async forward(exchange: Exchange): Promise<void> {
    this.stats.requests++;
    const target = absoluteTarget(exchange.head.url);
    if ('invalid' in target) return this.badTarget(exchange, target.invalid);
    const who = await this.identify(exchange.connection.socket);
    const verdict = await this.decide(exchange, target, who);
    if (!verdict) return;
    const destination = await this.destination(target.host, verdict);
    if ('denied' in destination)
      return this.deny(exchange, {
        host: target.host,
        port: target.port,
        stage: 'ssrf',
        reason: destination.denied,
        requestId: verdict.request?.id,
      });
    if ('failed' in destination) return this.upstreamFailed(exchange, target, who, verdict, destination.failed);
    exchange.forward(
      this.upstreams,
      { address: destination.address, port: target.port, authority: target.authority, path: target.path },
      (error) => this.upstreamFailed(exchange, target, who, verdict, error),
    );
  }

  /** A request decrypted inside an inspected tunnel: decided on method and path, then re-encrypted upstream. */
  private async inspected(exchange: Exchange): Promise<void> {
    const tunnel = this.interceptor?.targetOf(exchange.connection.socket);
    if (!tunnel) return exchange.connection.abort();
    if (tunnel.denial) return this.explainDenial(exchange, tunnel.denial);
    this.stats.requests++;
    const target = originTarget(exchange.head.url, tunnel);
    if ('invalid' in target) return this.badTarget(exchange, target.invalid);
    const verdict = await this.decide(exchange, target, tunnel);
    if (!verdict) return;
    exchange.forward(
      this.upstreams,
      {
        address: tunnel.address,
        port: tunnel.port,
        authority: target.authority,
        path: target.path,
        tls: { servername: isIP(tunnel.host) ? undefined : tunnel.host },
      },
      (error) => this.upstreamFailed(exchange, target, tunnel, verdict, error),
    );
  }

  private async tunnel(head: MessageHead, socket: Socket, early: Buffer): Promise<void> {
    this.stats.tunnels++;
    socket.on('error', () => socket.destroy());
    const target = parseHostPort(head.url);
    if (!target) {
      const body = badRequestBody('CONNECT needs a host:port target');
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    const who = await this.identify(socket);
    // While the verdict is pending (perhaps held), watch for the client going away; keep what it sends meanwhile.
    const watch = watchPausedClient(socket);
    const verdict = await this.options.core.evaluate({
      host: target.host,
      port: target.port,
      binary: who.binary,
      pid: who.pid,
      signal: watch.signal,
    });
    const sent = watch.stop();
    if (sent.length > 0) early = Buffer.concat([early, sent]);
    if (socket.destroyed) return;
    const requestId = verdict.request?.id;
    if (!verdict.allowed)
      return this.refuseTunnel(socket, early, who, {
        ...target,
        stage: verdict.decision.stage,
        reason: verdict.decision.reason,
        requestId,
      });
    const destination = await this.destination(target.host, verdict);
    if ('denied' in destination)
      return this.refuseTunnel(socket, early, who, { ...target, stage: 'ssrf', reason: destination.denied, requestId });
    if ('failed' in destination) return this.tunnelFailed(socket, target, who, verdict, destination.failed);
    const address = destination.address;
    const inspect = verdict.decision.inspect;
    if (inspect && inspect.tls !== 'skip') {
      // L7 rules apply inside this tunnel: terminate TLS and decide every request, or refuse — never tunnel blind.
      if (!this.interceptor) {
        const reason = 'this endpoint has L7 rules but TLS inspection is not available in this core';
        return this.refuseTunnel(socket, early, who, { ...target, stage: 'l7', reason });
      }
      await this.interceptor.intercept(socket, early, { ...target, address, binary: who.binary, pid: who.pid, requestId });
      return;
    }
    if (this.budget && !this.budget.take()) return this.tunnelFailed(socket, target, who, verdict, overBudget(this.budget));
    const upstream = connect({ host: address, port: target.port });
    this.budget?.releaseOn(upstream);
    upstream.setNoDelay(true);
    upstream.setTimeout(this.connectMs, () =>
      upstream.destroy(upstreamError(`could not connect within ${this.connectMs / 1000} s`, 'ETIMEDOUT')),
    );
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      upstream.setTimeout(0);
      const relayed = this.splice?.relay(socket, upstream, early, CONNECT_ESTABLISHED);
      if (relayed) {
        this.stats.splicedTunnels++;
        this.relayed.add(socket);
        this.relayedTunnels.add(relayed.id);
        // The relay holds both descriptors now: they count until it lets them go.
        const released = this.budget ? [this.budget.moveToRelay(socket), this.budget.moveToRelay(upstream)] : [];
        void relayed.ended.then(() => {
          this.relayedTunnels.delete(relayed.id);
          for (const release of released) release();
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
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      // Before the 200 the client can still be told why; after it, the tunnel just ends.
      if (!connected && !socket.destroyed) this.tunnelFailed(socket, target, who, verdict, error);
    });
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  }

  /** A refused CONNECT: 403 with the reason on the status line and in JSON, or explained inside the tunnel to a client that trusts our CA. */
  private refuseTunnel(socket: Socket, early: Buffer, who: ClientIdentity, denial: DenialInfo): void {
    this.stats.denied++;
    if (this.interceptor && this.options.explainDenialsInTls?.(who)) {
      const target: InterceptTarget = {
        host: denial.host,
        port: denial.port,
        address: '',
        binary: who.binary,
        pid: who.pid,
        requestId: denial.requestId,
        denial,
      };
      void this.interceptor.explain(socket, early, target).catch(() => socket.destroy());
      return;
    }
    socket.end(rawDenial(denial));
  }

  /** The first request inside a refused tunnel (explained in TLS): the 403 and its JSON reason; then the connection closes. */
  private explainDenial(exchange: Exchange, denial: DenialInfo): void {
    exchange.respond(
      403,
      denialReasonPhrase(denial),
      { 'Content-Type': 'application/json', 'X-OpenShell-Deny-Reason': denialReasonHeader(denial.reason) },
      denialBody(denial),
      true,
    );
  }

  /** An allowed CONNECT whose upstream cannot be reached: 502/504 with the cause, logged and audited as failed. */
  private tunnelFailed(socket: Socket, target: { host: string; port: number }, who: Requester, verdict: Verdict, error: unknown): void {
    const failure = this.recordFailure({ host: target.host, port: target.port, binary: who.binary, pid: who.pid }, verdict, error);
    if (!socket.destroyed) socket.end(rawUpstreamFailure(failure, { ...target, requestId: verdict.request?.id }));
  }

  /** An allowed request whose upstream failed: 502/504 with the cause (or a cut connection mid-answer), logged and audited as failed. */
  private upstreamFailed(exchange: Exchange, target: ProxyTarget, who: Requester, verdict: Verdict, error: unknown): void {
    const failure = this.recordFailure(
      { host: target.host, port: target.port, binary: who.binary, pid: who.pid, method: exchange.head.method, path: target.decidedPath },
      verdict,
      error,
    );
    const body = upstreamFailureBody(failure, { host: target.host, port: target.port, requestId: verdict.request?.id });
    exchange.respond(failure.status, failureStatusText(failure), { 'Content-Type': 'application/json' }, body);
  }

  private recordFailure(
    input: { host: string; port: number; binary: string; pid?: number; method?: string; path?: string },
    verdict: Verdict,
    error: unknown,
  ): UpstreamFailure {
    this.stats.upstreamFailures++;
    const failure = classifyFailure(error);
    this.options.core.upstreamFailed(input, {
      cause: `${failure.cause} (${failure.code})`,
      policy: verdict.decision.policy,
      requestId: verdict.request?.id,
      status: failure.status,
    });
    return failure;
  }

  /** An agent gave up on our TLS handshake: almost always because it does not trust our CA. Says so, with the fix. */
  private handshakeFailed(target: InterceptTarget, why: string): void {
    const ca = this.options.caCertPath ?? "the core's ca.crt (in its state directory)";
    this.options.core.tlsHandshakeFailed(
      target,
      why,
      `The agent most likely does not trust the core's CA: start it with \`openshell-term run\`, or trust ${ca}.`,
    );
  }

  /** A refused request: 403 with the reason (JSON, or the JSON-RPC error `body` a JSON-RPC client reads). */
  private deny(exchange: Exchange, denial: DenialInfo, body = denialBody(denial)): void {
    this.stats.denied++;
    exchange.respond(
      403,
      denialReasonPhrase(denial),
      { 'Content-Type': 'application/json', 'X-OpenShell-Deny-Reason': denialReasonHeader(denial.reason) },
      body,
    );
  }
}
