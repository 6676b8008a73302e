// The proxy's binary identity: which executable owns an accepted client connection. The network namespaces
// of the agents started by `run` are searched first (an agent under --isolate has its own); every holder of
// the client socket is judged (socket-owner.ts). When the binary cannot be named, the reason goes to the
// operator's log, a bounded number of times a minute (an agent can make unidentifiable connections at will).
import type { Socket } from 'node:net';
import type { ClientIdentity } from '../proxy/egress-proxy.js';
import { quickProcessTree } from './process-tree.js';
import { identifySocket, UNKNOWN } from './socket-owner.js';

export type Identify = (socket: Socket) => Promise<ClientIdentity>;

export interface IdentifierOptions {
  /** Tells the operator why a client could not be identified (the core's log, as a warning). */
  warn?: (message: string) => void;
}

const NOTICES_PER_MINUTE = 10;

/** `agents` lists the root pids of agents this core started (read at each lookup: agents come and go). */
export function socketIdentifier(agents: () => Iterable<number> = () => [], options: IdentifierOptions = {}): Identify {
  const notice = limitedNotices(options.warn);
  return async (socket) => {
    const { remoteAddress, remotePort, localAddress, localPort } = socket;
    if (!remoteAddress || !remotePort || !localAddress || !localPort)
      return { binary: UNKNOWN, reason: 'the connection closed before it was identified' };
    const agentPids = [...agents()].flatMap((pid) => quickProcessTree(pid));
    const verdict = await identifySocket(
      { address: remoteAddress, port: remotePort },
      { address: localAddress, port: localPort },
      { agentPids },
    );
    if (verdict.reason) notice(`client ${remoteAddress}:${remotePort} is '${UNKNOWN}': ${verdict.reason}`);
    return { binary: verdict.binary, pid: verdict.pid, ...(verdict.reason ? { reason: verdict.reason } : {}) };
  };
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
