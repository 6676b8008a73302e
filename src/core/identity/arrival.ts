// The look at a connection the moment the proxy accepts it, before a byte of it is read. Linux records
// neither when a process exec'd nor when a socket was made, so a process that connects and then execs an
// allowed binary (which finishes the request, or just holds the socket while others drive it) can only be
// caught by looking before the exec is done. This look is quick and synchronous, in the accept callback;
// the full look (every holder, socket-owner.ts) comes when the request is decided, and the answer must hold
// for both. Two parts:
//  - what every process of the agents `run` started runs right now (binary, device and inode: no fd is
//    read, so it costs the same whatever their fd tables hold). A holder found by the full look whose binary
//    is not what it ran at this moment has exec'd since the connection arrived;
//  - who held the client socket: the first holder found among the agents' processes (fds tried first where
//    their last connections were, owner-cache.ts, which the full look feeds too), at most QUICK_PROCESSES of
//    them and QUICK_READS fds each (native only). A holder found here that has let go of the socket by the
//    full look (handed it to a child that exec'd, then exited) still counts.
// Clients that are not agents of this core are left to the full look: their connections cost nothing here. This narrows the window for connect-then-exec; it cannot close it:
// an exec that completes before the accept callback runs is not seen, and an agent that execs at once
// usually wins that race (18 of 20 times in a measurement here); one that waits a millisecond does not.
import { nativeIdentity } from './native-addon.js';
import { readExecutableFacts, type ExecutableFacts } from './executable-proof.js';
import { namespaceOf, ownNamespaces } from './namespaces.js';
import { fdSearchPlan, recallHolder, rememberHolder } from './owner-cache.js';
import { isPid } from './proc.js';
import { sockDiagInode, sockDiagInodeInNetns } from './sock-diag.js';
import type { Endpoint } from './tcp-address.js';

/** How many processes the quick holder search asks, and how many fds of each it reads, at most. */
export const QUICK_PROCESSES = 12;
export const QUICK_READS = 16;

export interface ArrivalHolder extends ExecutableFacts {
  /** The client socket, and the fd its holder had it at. */
  inode: number;
  fd: number;
}

export interface Arrival {
  /** What each of the agents' processes ran when the connection arrived. */
  ran: Map<number, ExecutableFacts>;
  /** The first holder found, if the quick search found one. */
  holder?: ArrivalHolder;
}

/** The quick look at the connection from `peer` to `local`; undefined when there is nobody to look at. */
export function lookAtArrival(peer: Endpoint, local: Endpoint, agentPids: number[]): Arrival | undefined {
  if (agentPids.length === 0) return undefined;
  const ran = new Map<number, ExecutableFacts>();
  for (const pid of agentPids) {
    if (!isPid(pid) || ran.has(pid)) continue;
    const facts = readExecutableFacts(pid);
    if (facts.exe !== '') ran.set(pid, facts);
  }
  return { ran, holder: findHolderQuickly(peer, local, agentPids) };
}

function findHolderQuickly(peer: Endpoint, local: Endpoint, agentPids: number[]): ArrivalHolder | undefined {
  const native = nativeIdentity;
  if (!native) return undefined;
  const inode = clientInode(peer, local, agentPids);
  if (inode === undefined) return undefined;
  const ask = (pid: number): ArrivalHolder | undefined => {
    const plan = fdSearchPlan(pid);
    // A process not followed yet: its new socket most likely took its highest fd, so the top is read first.
    const found = native.findHolder(pid, inode, plan.hints, plan.hints ? plan.scanFrom : -1, QUICK_READS);
    if (typeof found === 'number') return undefined;
    const [fd, exe, exeDev, exeIno, userNs] = found;
    rememberHolder(inode, pid, String(fd));
    return { pid, fd, inode, exe, exeDev, exeIno, userNs };
  };
  const recalled = recallHolder(inode);
  if (recalled) {
    const again = ask(recalled.pid);
    if (again) return again;
  }
  const asked = new Set<number>();
  const tryEach = (pids: Iterable<number>): ArrivalHolder | undefined => {
    for (const pid of pids) {
      if (asked.size >= QUICK_PROCESSES) return undefined;
      if (!isPid(pid) || asked.has(pid) || pid === process.pid) continue;
      asked.add(pid);
      const found = ask(pid);
      if (found) return found;
    }
    return undefined;
  };
  return tryEach(agentPids);
}

/** The client socket's inode in our namespace or an agent's (sock_diag only: a table read is not quick). */
function clientInode(peer: Endpoint, local: Endpoint, agentPids: number[]): number | undefined {
  const own = sockDiagInode(peer, local);
  if (typeof own === 'number') return own;
  const ownNet = ownNamespaces().net;
  const asked = new Set<number>();
  for (const pid of agentPids) {
    const netns = namespaceOf(pid, 'net');
    if (netns === undefined || netns === ownNet || asked.has(netns)) continue;
    asked.add(netns);
    const inode = sockDiagInodeInNetns(pid, peer, local);
    // Several agent namespaces could hold the pair (a decoy): the full look judges that; here, the first will do.
    if (typeof inode === 'number') return inode;
  }
  return undefined;
}
