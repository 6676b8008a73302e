// One short conversation with a Gateway, as the CLI has it: start, wait for the first snapshot (or fail
// fast on the first lost connection: a script wants an answer, not a retry loop), keep the inbox current
// from events, act, stop. The same for the embedded core's feed and a gRPC gateway. Notices keep the
// gateway's conditions as they stand at the end (an audit log that recovered during the command is not
// reported as failing).
import { GatewayError, toGatewayError } from './errors.js';
import type { Gateway, GatewayEvent, GatewayNotice, InboxRequest, SandboxInfo } from './gateway.js';

export class GatewaySession {
  private readonly requests = new Map<string, InboxRequest>();
  private sandboxList: SandboxInfo[] = [];
  private readonly conditions = new Map<GatewayNotice['topic'], GatewayNotice>();
  private unsubscribe: () => void = () => {};

  private constructor(readonly gateway: Gateway) {}

  /** Starts the gateway and resolves once it has sent its snapshot. */
  static async open(gateway: Gateway, options: { timeoutMs?: number } = {}): Promise<GatewaySession> {
    const session = new GatewaySession(gateway);
    const timeoutMs = options.timeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        session.unsubscribe = gateway.subscribe((event) => {
          session.apply(event);
          if (event.type === 'snapshot') resolve();
          if (event.type === 'connection' && event.state.status === 'disconnected')
            reject(new GatewayError(event.state.code ?? 'unavailable', `${gateway.info.name}: ${event.state.error}`));
        });
        timer = setTimeout(
          () =>
            reject(
              new GatewayError(
                'unavailable',
                `${gateway.info.name} (${gateway.info.endpoint}) did not answer within ${timeoutMs / 1000} s`,
              ),
            ),
          timeoutMs,
        );
        gateway.start().catch((error) => reject(toGatewayError(error, error instanceof GatewayError ? error.code : 'unavailable')));
      });
    } catch (error) {
      await session.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return session;
  }

  /** Every request the gateway has shown, newest first. */
  list(): InboxRequest[] {
    return [...this.requests.values()].sort((a, b) => b.firstSeen - a.firstSeen);
  }

  get sandboxes(): readonly SandboxInfo[] {
    return this.sandboxList;
  }

  /**
   * The request an operator means by `id`: the exact id, else `SANDBOX/id` with --sandbox, else the one
   * request of any sandbox whose own id it is (a gateway's ids are `sandbox/chunk`).
   */
  find(id: string, sandbox?: string): InboxRequest {
    const exact = this.requests.get(id) ?? (sandbox ? this.requests.get(`${sandbox}/${id}`) : undefined);
    if (exact && (!sandbox || exact.sandbox === sandbox)) return exact;
    const tails = [...this.requests.values()].filter((r) => r.id.endsWith(`/${id}`) && (!sandbox || r.sandbox === sandbox));
    if (tails.length === 1) return tails[0];
    if (tails.length > 1)
      throw new GatewayError(
        'invalid_argument',
        `'${id}' names requests in several sandboxes (${tails.map((r) => r.sandbox).join(', ')}); add --sandbox`,
      );
    throw new GatewayError('not_found', `no request with id '${id}'${sandbox ? ` in sandbox '${sandbox}'` : ''}`);
  }

  /** The sandbox a command acts on: the named one (which must exist), else the only one. */
  sandbox(name?: string): string | undefined {
    const names = this.sandboxList.map((s) => s.name);
    if (name !== undefined) {
      if (!names.includes(name))
        throw new GatewayError('not_found', `no sandbox '${name}' on ${this.gateway.info.name} (it has: ${names.join(', ') || 'none'})`);
      return name;
    }
    if (names.length > 1)
      throw new GatewayError(
        'invalid_argument',
        `${this.gateway.info.name} has ${names.length} sandboxes (${names.join(', ')}); choose one with --sandbox`,
      );
    return names[0];
  }

  /** The gateway's conditions that hold now (its audit log fails, its inbox is full), as its last notices said. */
  notices(): GatewayNotice[] {
    return [...this.conditions.values()];
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.gateway.stop();
  }

  private apply(event: GatewayEvent): void {
    switch (event.type) {
      case 'snapshot':
        this.requests.clear();
        for (const r of event.requests) this.requests.set(r.id, r);
        this.sandboxList = event.sandboxes;
        return;
      case 'request':
        this.requests.set(event.request.id, event.request);
        return;
      case 'removed':
        for (const id of event.ids) this.requests.delete(id);
        return;
      case 'sandboxes':
        this.sandboxList = event.sandboxes;
        return;
      case 'notice':
        if (event.notice.active) this.conditions.set(event.notice.topic, event.notice);
        else this.conditions.delete(event.notice.topic);
        return;
    }
  }
}
