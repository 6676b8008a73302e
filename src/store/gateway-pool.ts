// The gateways one console can show: each is opened the first time it is chosen, then kept running
// with its own store (the embedded core must keep deciding for its agents while another is on screen).
// Switching only changes which store the screen reads; nothing blocks on the network.
import { messageOf } from '../gateway/errors.js';
import type { Gateway, GatewayEvent, GatewayInfo } from '../gateway/gateway.js';
import { createConsoleStore } from './console-store.js';
import { EventBuffer } from './event-buffer.js';
import { createGatewayDirectory, type DirectoryEntry, type GatewayDirectoryStore } from './gateway-directory.js';

export interface GatewayChoice {
  info: GatewayInfo;
  /** Opens the gateway (not yet started); throws with a clear message if it cannot be used. */
  open(): Gateway;
  problem?: string;
}

export interface Attached {
  gateway: Gateway;
  store: ReturnType<typeof createConsoleStore>;
}

export class GatewayPool {
  readonly directory: GatewayDirectoryStore;
  private readonly attached = new Map<string, Attached & { buffer: EventBuffer; unsubscribe(): void }>();

  constructor(
    private readonly choices: GatewayChoice[],
    initial: string,
    private readonly onEvent?: (name: string, event: GatewayEvent) => void,
  ) {
    const entries: DirectoryEntry[] = choices.map((c) => ({
      info: c.info,
      connection: {
        status: c.problem ? 'disconnected' : 'connecting',
        ...(c.problem ? { error: c.problem } : {}),
      } as DirectoryEntry['connection'],
      problem: c.problem,
    }));
    this.directory = createGatewayDirectory(entries, choices.some((c) => c.info.name === initial) ? initial : choices[0].info.name);
  }

  /** The active gateway, opened and started on first use. */
  active(): Attached {
    return this.attach(this.directory.getState().active);
  }

  /** Puts another gateway on screen; resolves with an error message instead of throwing. */
  activate(name: string): string | undefined {
    const choice = this.choices.find((c) => c.info.name === name);
    if (!choice) return `no gateway named '${name}'`;
    if (choice.problem) return choice.problem;
    try {
      this.attach(name);
    } catch (error) {
      return (error as Error).message;
    }
    this.directory.setState({ active: name });
    return undefined;
  }

  private attach(name: string): Attached {
    const existing = this.attached.get(name);
    if (existing) return existing;
    const choice = this.choices.find((c) => c.info.name === name)!;
    const gateway = choice.open();
    const store = createConsoleStore(gateway.info);
    const buffer = new EventBuffer((events) => store.getState().apply(events));
    const unsubscribe = gateway.subscribe((event) => {
      buffer.push(event);
      this.onEvent?.(name, event);
      if (event.type === 'connection' || event.type === 'snapshot')
        this.update(name, { info: { ...gateway.info }, ...(event.type === 'connection' ? { connection: event.state } : {}) });
    });
    const entry = { gateway, store, buffer, unsubscribe };
    this.attached.set(name, entry);
    void gateway.start().catch((error: Error) => this.update(name, { connection: { status: 'disconnected', error: error.message } }));
    return entry;
  }

  private update(name: string, change: Partial<DirectoryEntry>): void {
    this.directory.setState((s) => ({ entries: s.entries.map((e) => (e.info.name === name ? { ...e, ...change } : e)) }));
  }

  /** Stops every gateway opened; resolves with what failed to stop (the console is gone: the caller says it). */
  async stop(): Promise<string[]> {
    for (const a of this.attached.values()) {
      a.unsubscribe();
      a.buffer.stop();
    }
    const names = [...this.attached.keys()];
    const outcomes = await Promise.allSettled([...this.attached.values()].map((a) => a.gateway.stop()));
    this.attached.clear();
    return outcomes.flatMap((o, i) => (o.status === 'rejected' ? [`${names[i]}: ${messageOf(o.reason)}`] : []));
  }
}
