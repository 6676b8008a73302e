// The WebSocket feed: exposes a running core to the console and CLI. A hello on connect (the first page of
// the inbox, the revision, health and recent logs), then every inbox, policy, notice and log event;
// decisions come back as commands. Every connection needs this core's token, loopback included, compared
// in constant time. A client that sends garbage is disconnected, one that stops reading is dropped before
// its backlog can grow the core's memory, and the others carry on.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseLifetime } from '../../core/approvals/session-approvals.js';
import type { EnforcementCore } from '../../core/engine/enforcement-core.js';
import type { PresetManager } from '../../core/presets/preset-manager.js';
import type { AgentRegistry } from '../../core/isolation/agent-registry.js';
import type { Revision } from '../../core/revisions/revision-log.js';
import { type RequestChange, watchCore, watchCoreNotices } from '../core-projection.js';
import {
  FEED_PROTOCOL,
  FIRST_PAGE,
  HELLO_LOG_LINES,
  MAX_CLIENT_BACKLOG,
  MAX_FRAME_BYTES,
  MAX_PAGE,
  type ApproveManyReply,
  type FeedCommand,
  type FeedEvent,
  type Health,
  type RevisionSummary,
} from './protocol.js';
import { coreErrorCode } from '../core-errors.js';
import { GatewayError } from '../errors.js';

export interface FeedServerOptions {
  core: EnforcementCore;
  presets?: PresetManager;
  token: string;
  proxyAddress: string;
  /** For `run`: more proxy listeners (a namespace's link-local side) and agent pids to search first. */
  agents?: AgentRegistry;
  /** Bytes that may wait unsent for one client before it is dropped (default MAX_CLIENT_BACKLOG). */
  maxBacklog?: number;
}

export function summarizeRevision(r: Revision): RevisionSummary {
  return { number: r.number, sha256: r.sha256, time: r.time, cause: r.cause, detail: r.detail };
}

type Reply = Extract<FeedEvent, { type: 'result' }>;

const REQUEST_EVENT = { new: 'request.pending', updated: 'request.updated', decided: 'request.decided' } as const satisfies Record<
  RequestChange,
  FeedEvent['type']
>;

export class FeedServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly started = Date.now();
  private readonly detach: Array<() => void> = [];
  private readonly tokenDigest: Buffer;
  private readonly maxBacklog: number;
  private readonly names = new WeakMap<WebSocket, string>();

  constructor(private readonly options: FeedServerOptions) {
    this.tokenDigest = digest(options.token);
    this.maxBacklog = options.maxBacklog ?? MAX_CLIENT_BACKLOG;
    this.http = createServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n'));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
    this.http.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      if (!this.authorized(req)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.names.set(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`);
        this.accept(ws);
      });
    });
    const { core } = options;
    const broadcast = (event: FeedEvent) => {
      if (this.wss.clients.size === 0) return;
      const text = JSON.stringify(event);
      for (const client of this.wss.clients) this.send(client, text);
    };
    // The one projection of the core (core-projection.ts), mapped to the feed's wire events.
    this.detach.push(
      watchCore(core, (change) => {
        if (change.type === 'request') broadcast({ type: REQUEST_EVENT[change.change], request: change.request });
        else if (change.type === 'revision') broadcast({ type: 'policy.revision', revision: change.revision });
        else broadcast({ type: 'log', line: change.line });
      }),
      watchCoreNotices(core, (notice) => broadcast({ type: 'notice', notice })),
    );
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => resolve());
    });
    return this.http.address() as AddressInfo;
  }

  async close(): Promise<void> {
    for (const undo of this.detach) undo();
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** Bearer header or ?token=; both sides hashed first, so the comparison takes the same time whatever was offered. */
  private authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const fromHeader = header.startsWith('Bearer ') ? header.slice(7) : '';
    const fromQuery = new URL(req.url ?? '/', 'http://feed').searchParams.get('token') ?? '';
    const offered = fromHeader || fromQuery;
    return timingSafeEqual(digest(offered), this.tokenDigest) && offered.length > 0;
  }

  /** Sends, unless the client has stopped reading: then it is dropped, so its backlog stops growing. */
  private send(ws: WebSocket, text: string): void {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > this.maxBacklog) {
      // Gone before the log line below is broadcast (to every client but this one).
      ws.terminate();
      const mib = Math.round(this.maxBacklog / (1024 * 1024));
      this.options.core.log(
        'warn',
        'feed',
        `dropped feed client ${this.names.get(ws) ?? ''}: it fell behind by more than ${mib} MiB (it stopped reading)`,
      );
      return;
    }
    ws.send(text);
  }

  private health(): Health {
    const health = this.options.core.health();
    return {
      mode: 'standalone',
      proxy: this.options.proxyAddress,
      pending: health.inbox.pending,
      held: health.inbox.held,
      uptimeMs: Date.now() - this.started,
      ...health,
    };
  }

  private accept(ws: WebSocket) {
    const { core } = this.options;
    ws.on('error', () => ws.terminate());
    const first = core.pageRequests(undefined, FIRST_PAGE);
    const hello: FeedEvent = {
      type: 'hello',
      protocol: FEED_PROTOCOL,
      pending: first.requests,
      pendingTotal: first.total,
      ...(first.next ? { next: first.next } : {}),
      revision: summarizeRevision(core.revision),
      health: this.health(),
      logs: core.logs.since(0).slice(-HELLO_LOG_LINES),
    };
    this.send(ws, JSON.stringify(hello));
    ws.on('message', (data, isBinary) => {
      let command: FeedCommand;
      try {
        if (isBinary) throw new Error('binary frame');
        command = JSON.parse(data.toString()) as FeedCommand;
        if (typeof command !== 'object' || command === null || typeof command.type !== 'string') throw new Error('not a command');
      } catch {
        ws.close(1003, 'expected JSON commands');
        return;
      }
      void this.execute(command).then((result) => this.send(ws, JSON.stringify(result)));
    });
  }

  private async execute(command: FeedCommand): Promise<Reply> {
    const { core, presets } = this.options;
    const ref = command.ref;
    const ok = (data: unknown, warnings?: string[]): Reply => ({
      type: 'result',
      ref,
      ok: true,
      data,
      ...(warnings?.length ? { warnings } : {}),
    });
    // A decision is recorded before it is applied; when the record could not be written the decision still
    // stands (unless --audit-required refused it), and the reply says so loudly.
    const decided = (data: unknown, warnings?: string[]): Reply => {
      const audit = core.health().audit;
      if (audit.writable) return ok(data, warnings);
      return {
        type: 'result',
        ref,
        ok: false,
        applied: true,
        data,
        error: `the decision was applied, but its audit record could not be written (${audit.error ?? 'unknown error'}): it is not recorded`,
        ...(warnings?.length ? { warnings } : {}),
      };
    };
    try {
      switch (command.type) {
        case 'requests':
          return ok(core.listRequests());
        case 'requests.page': {
          const limit = command.limit === undefined ? FIRST_PAGE : Number(command.limit);
          if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
            throw new Error(`limit must be a whole number from 1 to ${MAX_PAGE}`);
          return ok(core.pageRequests(command.after === undefined ? undefined : String(command.after), limit));
        }
        case 'health':
          return ok(this.health());
        case 'approve':
          return decided(
            core.approve(String(command.id), lifetimeOf(command.lifetime), 'feed', {
              allowUnknownBinary: command.allowUnknownBinary === true,
            }),
          );
        case 'reject':
          return decided(core.reject(String(command.id), command.reason === undefined ? undefined : String(command.reason), 'feed'));
        case 'approve-all': {
          const result = core.approveAll(lifetimeOf(command.lifetime), 'feed', { allowUnknownBinary: command.allowUnknownBinary === true });
          return decided(
            result.approved,
            result.skipped.map((s) => `skipped ${s.request.id} ${s.request.host}:${s.request.port}: binary unknown (${s.reason})`),
          );
        }
        case 'approve-many': {
          if (!Array.isArray(command.ids)) throw new GatewayError('invalid_argument', 'approve-many needs ids: an array of request ids');
          const result = core.approveMany(command.ids.map(String), lifetimeOf(command.lifetime), 'feed', {
            allowUnknownBinary: command.allowUnknownBinary === true,
          });
          const reply: ApproveManyReply = {
            approved: result.approved,
            skipped: result.skipped.map((s) => ({ id: s.request.id, host: s.request.host, port: s.request.port, reason: s.reason })),
          };
          return decided(reply);
        }
        case 'undo':
          return decided(core.undo(String(command.id), 'feed'));
        case 'policy.get': {
          const revision = command.rev === undefined ? core.revision : core.revisions.get(Number(command.rev));
          if (!revision) return { type: 'result', ref, ok: false, error: `no revision ${command.rev}`, code: 'not_found' };
          return ok({ ...summarizeRevision(revision), yaml: revision.yaml });
        }
        case 'revisions':
          return ok(core.revisions.list().map(summarizeRevision));
        case 'presets':
          return ok(requirePresets(presets).list());
        case 'preset.show': {
          const yaml = requirePresets(presets).show(String(command.name));
          return yaml === undefined
            ? { type: 'result', ref, ok: false, error: `no preset named '${command.name}'`, code: 'not_found' }
            : ok(yaml);
        }
        case 'preset.add': {
          const dryRun = Boolean(command.dryRun);
          const data = await requirePresets(presets).add({ name: command.name, file: command.file, dir: command.dir }, dryRun, 'feed');
          return dryRun ? ok(data) : decided(data);
        }
        case 'preset.remove': {
          const dryRun = Boolean(command.dryRun);
          await requirePresets(presets).remove(String(command.name), dryRun, 'feed');
          const data = { name: command.name, dryRun };
          return dryRun ? ok(data) : decided(data);
        }
        case 'promote': {
          const data = await requirePresets(presets).promote(
            String(command.id),
            {
              name: String(command.name),
              description: command.description,
              access: command.access,
              anyBinary: command.anyBinary,
              dryRun: command.dryRun,
              onExisting: command.ifExists,
              inspect: command.inspect,
            },
            'feed',
          );
          return command.dryRun ? ok(data) : decided(data);
        }
        case 'proxy.listen':
          return ok(await requireAgents(this.options.agents).listen(String(command.host)));
        case 'agent.register':
          requireAgents(this.options.agents).register(Number(command.pid));
          return ok({ pid: Number(command.pid) });
        default:
          return {
            type: 'result',
            ref,
            ok: false,
            error: `unknown command '${(command as { type: string }).type}'`,
            code: 'unimplemented',
          };
      }
    } catch (error) {
      return { type: 'result', ref, ok: false, error: (error as Error).message, code: coreErrorCode(error) };
    }
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function lifetimeOf(text: string | undefined) {
  if (text === undefined) return undefined;
  const lifetime = parseLifetime(String(text));
  if (!lifetime) throw new GatewayError('invalid_argument', `invalid lifetime '${text}'; use once, session, or N minutes like 10m`);
  return lifetime;
}

function requirePresets(presets: PresetManager | undefined): PresetManager {
  if (!presets) throw new Error('this core has no preset store');
  return presets;
}

function requireAgents(agents: AgentRegistry | undefined): AgentRegistry {
  if (!agents) throw new Error('this core does not take agents over the feed');
  return agents;
}
