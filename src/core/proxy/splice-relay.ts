// Hands an established, uninspected CONNECT tunnel to the native relay (native/relay): the kernel moves
// its bytes with splice(2) on a background thread, so tunnel data never enters JavaScript. Linux only,
// and only when `npm install` could build the addon; otherwise load() says so and tunnels are piped.
import type { Socket } from 'node:net';
import { loadNativeAddon } from '../native/load-addon.js';

interface NativeRelay {
  listen(onEnd: (id: number, toUpstream: number, toClient: number, errno: number) => void): void;
  start(clientFd: number, upstreamFd: number, toUpstream: Buffer, toClient: Buffer): number;
  stop(id: number): boolean;
  active(): number;
  pipesInUse(): number;
}

export interface RelayEnd {
  bytesToUpstream: number;
  bytesToClient: number;
  /** errno of the failure that ended it (ECONNRESET…), 0 for an orderly close. */
  errno: number;
}

/** The socket's file descriptor, when it is a plain TCP socket of this process. */
function fdOf(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** Whatever Node already read from the socket and holds in its buffer (nothing is lost in the handover). */
function drain(socket: Socket): Buffer[] {
  const chunks: Buffer[] = [];
  for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) chunks.push(chunk);
  return chunks;
}

export interface RelayedTunnel {
  id: number;
  ended: Promise<RelayEnd>;
}

let shared: SpliceRelay | null | undefined;

/** One per process: the native relay has one thread and one end callback, shared by every proxy here. */
export class SpliceRelay {
  private readonly ends = new Map<number, (end: RelayEnd) => void>();

  private constructor(private readonly native: NativeRelay) {
    native.listen((id, bytesToUpstream, bytesToClient, errno) => {
      const settle = this.ends.get(id);
      this.ends.delete(id);
      settle?.({ bytesToUpstream, bytesToClient, errno });
    });
  }

  /** The relay, or undefined when it is unavailable here (not Linux, not built, or OPENSHELL_TERM_NO_SPLICE=1). */
  static load(): SpliceRelay | undefined {
    if (shared === undefined) {
      const native = loadNativeAddon<NativeRelay>('relay', 'relay', 'OPENSHELL_TERM_NO_SPLICE');
      shared = native ? new SpliceRelay(native) : null;
    }
    return shared ?? undefined;
  }

  /** Tunnels being relayed now. */
  get active(): number {
    return this.native.active();
  }

  /** Pipes those tunnels hold: only ones with bytes in flight hold one (an idle tunnel costs its two sockets). */
  get pipesInUse(): number {
    return this.native.pipesInUse();
  }

  /**
   * Relays client <-> upstream from now on, first sending `toUpstream` (bytes the client sent early) and
   * `toClient` (the 200 answer); both Node sockets are closed here, the connections stay open. `ended`
   * resolves when the tunnel ends. Undefined (sockets as they were) when these sockets cannot be handed over.
   */
  relay(client: Socket, upstream: Socket, toUpstream: Buffer, toClient: Buffer): RelayedTunnel | undefined {
    const clientFd = fdOf(client);
    const upstreamFd = fdOf(upstream);
    if (clientFd === undefined || upstreamFd === undefined) return undefined;
    const fromClient = drain(client);
    const fromUpstream = drain(upstream);
    const id = this.native.start(
      clientFd,
      upstreamFd,
      Buffer.concat([toUpstream, ...fromClient]),
      Buffer.concat([toClient, ...fromUpstream]),
    );
    if (id < 0) {
      // Out of fds or memory for the relay: give the bytes back and let the caller pipe this tunnel.
      for (const chunk of fromClient.reverse()) client.unshift(chunk);
      for (const chunk of fromUpstream.reverse()) upstream.unshift(chunk);
      return undefined;
    }
    // The relay holds its own copies of both fds; closing ours sends nothing.
    client.destroy();
    upstream.destroy();
    return { id, ended: new Promise((resolve) => this.ends.set(id, resolve)) };
  }

  /** Ends a relayed tunnel now (its `ended` resolves as it closes). */
  stop(id: number): void {
    this.native.stop(id);
  }
}
