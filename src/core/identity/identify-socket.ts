// The proxy's binary identity: which executable owns an accepted client connection. Two looks: a quick one
// the moment the connection is accepted (`arrived`: who connected, arrival.ts), and the full one when its
// first request is decided (every holder, socket-owner.ts); the answer must hold for both. The network
// namespaces of the agents started by `run` are searched first (an agent under --isolate has its own). When
// the binary cannot be named, the reason goes to the operator's log, a bounded number of times a minute (an
// agent can make unidentifiable connections at will).
import type { Socket } from 'node:net';
import type { ClientIdentity } from '../proxy/egress-proxy.js';
import { lookAtArrival, type Arrival } from './arrival.js';
import { noteFdFreed } from './owner-cache.js';
import { quickProcessTree } from './process-tree.js';
import { identifySocket, UNKNOWN } from './socket-owner.js';

export interface Identify {
  (socket: Socket): Promise<ClientIdentity>;
  /** Looks, quickly, at who holds a connection just accepted (before a byte of it is read). */
  arrived(socket: Socket): void;
}

export interface IdentifierOptions {
  /** Tells the operator why a client could not be identified (the core's log, as a warning). */
  warn?: (message: string) => void;
}

const NOTICES_PER_MINUTE = 10;

/** `agents` lists the root pids of agents this core started (read at each lookup: agents come and go). */
export function socketIdentifier(agents: () => Iterable<number> = () => [], options: IdentifierOptions = {}): Identify {
  const notice = limitedNotices(options.warn);
  const arrivals = new WeakMap<Socket, Arrival | undefined>();
  const agentPids = () => [...agents()].flatMap((pid) => quickProcessTree(pid));
  const ends = (socket: Socket) => {
    const { remoteAddress, remotePort, localAddress, localPort } = socket;
    if (!remoteAddress || !remotePort || !localAddress || !localPort) return undefined;
    return [
      { address: remoteAddress, port: remotePort },
      { address: localAddress, port: localPort },
    ] as const;
  };
  const identify = async (socket: Socket): Promise<ClientIdentity> => {
    const pair = ends(socket);
    if (!pair) return { binary: UNKNOWN, reason: 'the connection closed before it was identified' };
    const arrival = arrivals.get(socket);
    const verdict = await identifySocket(...pair, { agentPids: agentPids(), arrival });
    if (verdict.reason) notice(`client ${pair[0].address}:${pair[0].port} is '${UNKNOWN}': ${verdict.reason}`);
    return {
      binary: verdict.binary,
      pid: verdict.pid,
      ...(verdict.reason ? { reason: verdict.reason } : {}),
      // Its fd is probably free once the connection closes: the holder's next socket will likely land there.
      ...(arrival?.holder ? { closed: () => noteFdFreed(arrival.holder!.pid, String(arrival.holder!.fd)) } : {}),
    };
  };
  return Object.assign(identify, {
    arrived(socket: Socket) {
      const pair = ends(socket);
      if (pair && !arrivals.has(socket)) arrivals.set(socket, lookAtArrival(...pair, agentPids()));
    },
  });
}

/** At most NOTICES_PER_MINUTE warnings a minute; the next one says how many were held back. */
function limitedNotices(warn: ((message: string) => void) | undefined): (message: string) => void {
  let windowStart = 0;
  let sent = 0;
  let held = 0;
  return (message) => {
    if (!warn) return;
    const now = performance.now();
    if (now - windowStart >= 60_000) {
      windowStart = now;
      sent = 0;
    }
    if (sent >= NOTICES_PER_MINUTE) {
      held++;
      return;
    }
    sent++;
    warn(held > 0 ? `${message} (and ${held} more unidentified clients not shown)` : message);
    held = 0;
  };
}
