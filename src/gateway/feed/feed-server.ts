// The WebSocket feed: exposes a running core to the console and CLI. A hello snapshot on connect, then
// every inbox, policy and log event; decisions come back as commands. A token is required on every
// connection; a client that sends garbage is disconnected, the others carry on.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseLifetime } from '../../core/approvals/session-approvals.js';
import type { CoreEvents, EnforcementCore } from '../../core/engine/enforcement-core.js';
import type { Revision } from '../../core/revisions/revision-log.js';
import type { PresetManager } from '../../core/presets/preset-manager.js';
import { coreErrorCode } from '../core-errors.js';
import { GatewayError } from '../errors.js';
import { MAX_FRAME_BYTES, type FeedCommand, type FeedEvent, type Health, type RevisionSummary } from './protocol.js';

export interface FeedServerOptions {
  core: EnforcementCore;
  presets?: PresetManager;
  token: string;
  proxyAddress: string;
}

export function summarizeRevision(r: Revision): RevisionSummary {
  return { number: r.number, sha256: r.sha256, time: r.time, cause: r.cause, detail: r.detail };
}

export class FeedServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly started = Date.now();
  private readonly detach: Array<() => void> = [];

  constructor(private readonly options: FeedServerOptions) {
    this.http = createServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n'));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
    this.http.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      if (!this.authorized(req)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
    const { core } = options;
    const broadcast = (event: FeedEvent) => {
      if (this.wss.clients.size === 0) return;
      const text = JSON.stringify(event);
      for (const client of this.wss.clients) if (client.readyState === client.OPEN) client.send(text);
    };
    const subscribe = <K extends keyof CoreEvents>(name: K, handler: (...args: CoreEvents[K]) => void) => {
      core.on(name, handler as never);
      this.detach.push(() => core.off(name, handler as never));
    };
    subscribe('request.pending', (request) => broadcast({ type: 'request.pending', request }));
    subscribe('request.updated', (request) => broadcast({ type: 'request.updated', request }));
    subscribe('request.decided', (request) => broadcast({ type: 'request.decided', request }));
    subscribe('policy.revision', (revision) => broadcast({ type: 'policy.revision', revision: summarizeRevision(revision) }));
    subscribe('log', (line) => broadcast({ type: 'log', line }));
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

  private authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const fromHeader = header.startsWith('Bearer ') ? header.slice(7) : '';
    const fromQuery = new URL(req.url ?? '/', 'http://feed').searchParams.get('token') ?? '';
    const offered = Buffer.from(fromHeader || fromQuery);
    const expected = Buffer.from(this.options.token);
    return offered.length === expected.length && timingSafeEqual(offered, expected);
  }

  private health(): Health {
    const { core } = this.options;
    const pending = core.listRequests().filter((r) => r.status === 'pending').length;
    return {
      mode: 'standalone',
      proxy: this.options.proxyAddress,
      pending,
      held: core.inbox.heldCount,
      uptimeMs: Date.now() - this.started,
    };
  }

  private accept(ws: WebSocket) {
    const { core } = this.options;
    ws.on('error', () => ws.terminate());
    const hello: FeedEvent = {
      type: 'hello',
      pending: core.listRequests(),
      revision: summarizeRevision(core.revision),
      health: this.health(),
      logs: core.logs.since(0).slice(-500),
    };
    ws.send(JSON.stringify(hello));
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
      void this.execute(command).then((result) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(result)));
    });
  }

  private async execute(command: FeedCommand): Promise<FeedEvent> {
    const { core, presets } = this.options;
    const ref = command.ref;
    try {
      switch (command.type) {
        case 'requests':
          return { type: 'result', ref, ok: true, data: core.listRequests() };
        case 'approve':
          return { type: 'result', ref, ok: true, data: core.approve(String(command.id), lifetimeOf(command.lifetime), 'feed') };
        case 'reject':
          return { type: 'result', ref, ok: true, data: core.reject(String(command.id), command.reason, 'feed') };
        case 'approve-all':
          return { type: 'result', ref, ok: true, data: core.approveAll(lifetimeOf(command.lifetime), 'feed') };
        case 'undo':
          return { type: 'result', ref, ok: true, data: core.undo(String(command.id), 'feed') };
        case 'policy.get': {
          const revision = command.rev === undefined ? core.revision : core.revisions.get(Number(command.rev));
          if (!revision) return { type: 'result', ref, ok: false, error: `no revision ${command.rev}`, code: 'not_found' };
          return { type: 'result', ref, ok: true, data: { ...summarizeRevision(revision), yaml: revision.yaml } };
        }
        case 'revisions':
          return { type: 'result', ref, ok: true, data: core.revisions.list().map(summarizeRevision) };
        case 'presets':
          return { type: 'result', ref, ok: true, data: requirePresets(presets).list() };
        case 'preset.show': {
          const yaml = requirePresets(presets).show(String(command.name));
          return yaml === undefined
            ? { type: 'result', ref, ok: false, error: `no preset named '${command.name}'`, code: 'not_found' }
            : { type: 'result', ref, ok: true, data: yaml };
        }
        case 'preset.add':
          return {
            type: 'result',
            ref,
            ok: true,
            data: await requirePresets(presets).add(
              { name: command.name, file: command.file, dir: command.dir },
              Boolean(command.dryRun),
              'feed',
            ),
          };
        case 'preset.remove':
          await requirePresets(presets).remove(String(command.name), Boolean(command.dryRun), 'feed');
          return { type: 'result', ref, ok: true, data: { name: command.name, dryRun: Boolean(command.dryRun) } };
        case 'promote':
          return {
            type: 'result',
            ref,
            ok: true,
            data: await requirePresets(presets).promote(
              String(command.id),
              {
                name: String(command.name),
                description: command.description,
                access: command.access,
                anyBinary: command.anyBinary,
                dryRun: command.dryRun,
              },
              'feed',
            ),
          };
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

function lifetimeOf(text: string | undefined) {
  if (text === undefined) return undefined;
  const lifetime = parseLifetime(text);
  if (!lifetime) throw new GatewayError('invalid_argument', `invalid lifetime '${text}'; use once, session, or N minutes like 10m`);
  return lifetime;
}

function requirePresets(presets: PresetManager | undefined): PresetManager {
  if (!presets) throw new Error('this core has no preset store');
  return presets;
}
