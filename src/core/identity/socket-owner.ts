// Binary identity on Linux: which executable owns the client end of a TCP connection our proxy accepted,
// so that policy rules pinning `binaries:` compare against the real program, not a claim in the request.
//
// Three steps: the connection's 4-tuple gives the client socket's inode (client-socket.ts, in whichever
// network namespace it lives); the inode gives every process holding it (socket-holders.ts); each holder's
// binary is proven or not (executable-proof.ts). Who held it when the connection arrived (arrival.ts) counts
// as one more holder: a process that connected and then exec'd, or handed the socket on, is judged as it was.
//
// The answer names a binary only when every process holding the socket runs that binary, proven. A socket
// held by processes running different binaries (inherited across fork and exec, passed with SCM_RIGHTS)
// could be driven by any of them, so it gets the most restrictive answer there is: `unknown`, which no
// `binaries:` rule names. Nothing is lost by it: any agent can make its own connection unidentifiable at
// will (another user namespace is enough), so whatever `unknown` is allowed, every agent already has; a
// borrowed binary's rights, it does not.
import type { Arrival } from './arrival.js';
import { proveExecutable, sameExecutable, type ExecutableFacts } from './executable-proof.js';
import { ownNamespaces } from './namespaces.js';
import { rememberHolder } from './owner-cache.js';
import { findClientSocket } from './client-socket.js';
import { socketHolders } from './socket-holders.js';
import type { Endpoint } from './tcp-address.js';

export type { Endpoint } from './tcp-address.js';

export const UNKNOWN = 'unknown';

export interface SocketVerdict {
  /** The binary every holder runs, proven; 'unknown' otherwise. */
  binary: string;
  /** The holder to show the operator (one of the agents' processes when they hold it). */
  pid?: number;
  /** Each process holding the client socket, with what it runs ('unknown' where that cannot be proven). */
  holders: Array<{ pid: number; binary: string }>;
  /** Why the binary is unknown. */
  reason?: string;
}

export interface OwnerLookupOptions {
  /** The agents' processes: their network namespaces are searched first, and they are named first. */
  agentPids?: number[];
  /** Who held the client socket when the connection arrived (lookAtArrival). */
  arrival?: Arrival;
}

/** The client side of an accepted connection is the peer: remoteAddress/remotePort as seen by our server socket. */
export async function identifySocket(peer: Endpoint, local: Endpoint, options: OwnerLookupOptions = {}): Promise<SocketVerdict> {
  if (process.platform !== 'linux') return { binary: UNKNOWN, holders: [] }; // no /proc: nothing to tell the operator per connection
  const agentPids = options.agentPids ?? [];
  const client = await findClientSocket(peer, local, agentPids);
  if ('ambiguous' in client) return unknown(client.ambiguous);
  if ('notFound' in client) return unknown(client.notFound);
  const { holders, unreadable } = await socketHolders(client.inode);
  if (holders.length === 0) {
    const closed = unreadable > 0 ? `; ${unreadable} processes' fd tables are closed to the core (it sees them all as root)` : '';
    return unknown(`no process holds the client end (it exited${closed})`);
  }
  // The quick look at the next connection tries these processes, at these fds, first.
  for (const holder of holders) rememberHolder(client.inode, holder.pid, String(holder.fd));
  const userNs = ownNamespaces().user;
  const byPid = new Map<number, { binary: string; why?: string }>();
  const judge = (facts: ExecutableFacts, key: number) => {
    const proof = proveExecutable(facts, userNs);
    byPid.set(key, 'binary' in proof ? { binary: proof.binary } : { binary: UNKNOWN, why: proof.unknown });
  };
  for (const holder of holders) if (!byPid.has(holder.pid)) judge(holder, holder.pid); // one process, one binary, however many fds
  const listed = [...byPid].map(([pid, { binary }]) => ({ pid, binary }));
  const reasons = [...byPid.values()].flatMap((p) => (p.why ? [p.why] : []));
  const binaries = new Set(listed.map((h) => h.binary));
  // What the quick look saw as the connection arrived counts too: a holder that ran another binary then
  // (it exec'd since), and a holder then that has let go of the socket since.
  const then: Array<{ facts: ExecutableFacts; now?: ExecutableFacts }> = [];
  for (const holder of holders) {
    const ran = options.arrival?.ran.get(holder.pid);
    if (ran && !sameExecutable(ran, holder)) then.push({ facts: ran, now: holder });
  }
  const early = options.arrival?.holder?.inode === client.inode ? options.arrival.holder : undefined;
  if (early) {
    const now = holders.find((h) => h.pid === early.pid);
    if (!now) then.push({ facts: early });
    else if (!sameExecutable(early, now) && !then.some((t) => t.facts.pid === early.pid)) then.push({ facts: early, now });
  }
  for (const { facts, now } of then) {
    const proof = proveExecutable(facts, userNs);
    const was = 'binary' in proof ? proof.binary : UNKNOWN;
    binaries.add(was);
    if ('unknown' in proof) reasons.push(proof.unknown);
    else if (binaries.size > 1) {
      const since = now ? `runs ${byPid.get(now.pid)!.binary} now` : 'has let go of the socket since';
      reasons.push(`pid ${facts.pid} ran ${was} when the connection arrived, and ${since}`);
    }
  }
  const pid = agentPids.find((p) => byPid.has(p)) ?? listed[0]?.pid;
  if (reasons.length > 0) return { binary: UNKNOWN, pid, holders: listed, reason: reasons.join('; ') };
  if (binaries.size > 1) {
    const who = listed.map((h) => `${h.binary} (pid ${h.pid})`).join(', ');
    return { binary: UNKNOWN, pid, holders: listed, reason: `the client socket is held by processes running different binaries: ${who}` };
  }
  return { binary: [...binaries][0], pid, holders: listed };
}

function unknown(reason: string): SocketVerdict {
  return { binary: UNKNOWN, holders: [], reason };
}
