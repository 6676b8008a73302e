// The proxy's binary identity: which executable owns an accepted client connection. Agents started by
// `run` are searched first (their process trees); every other process after. When the proxy says the
// connection closed, the fd its owner held is noted as probably free: the owner's next socket lands there.
import type { Socket } from 'node:net';
import type { ClientIdentity } from '../proxy/egress-proxy.js';
import { noteFdFreed } from './owner-cache.js';
import { quickProcessTree } from './process-tree.js';
import { findSocketHolder } from './socket-owner.js';

export type Identify = (socket: Socket) => Promise<ClientIdentity>;

/** `agents` lists the root pids of agents this core started (read at each lookup: agents come and go). */
export function socketIdentifier(agents: () => Iterable<number> = () => []): Identify {
  return async (socket) => {
    if (!socket.remoteAddress || !socket.remotePort || !socket.localAddress || !socket.localPort) return { binary: 'unknown' };
    const candidatePids = [...agents()].flatMap((pid) => quickProcessTree(pid));
    const holder = await findSocketHolder(
      { address: socket.remoteAddress, port: socket.remotePort },
      { address: socket.localAddress, port: socket.localPort },
      { candidatePids },
    );
    if (!holder) return { binary: 'unknown' };
    return { binary: holder.exe, pid: holder.pid, closed: () => noteFdFreed(holder.pid, holder.fd) };
  };
}
