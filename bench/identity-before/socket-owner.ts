// The identity lookup as it was before every holder was judged and binaries proven (commit 33521f5): the first
// holder found wins. Kept unchanged as bench/identity's same-run baseline; nothing in src/ uses it.
// Binary identity on Linux: which executable owns the client end of a TCP connection our proxy accepted,
// so that policy rules pinning `binaries:` compare against the real program, not a claim in the request.
//
// Two steps: the connection's 4-tuple gives the client socket's inode (/proc/net/tcp*), and the inode
// gives the process holding it (/proc/<pid>/fd). Only sockets in our own network namespace are visible.
import { findClientInode, type Endpoint } from '../../src/core/identity/tcp-table.js';
import { confirmHolder, findHolder, socketLink, type SocketHolder } from './socket-holder.js';
import { recallHolder, recentHolderPids, rememberHolder } from './owner-cache.js';
import { isPid, listPids, slicer } from '../../src/core/identity/proc.js';

export interface SocketOwner {
  pid: number;
  /** The resolved path of /proc/<pid>/exe's target. */
  exe: string;
}

export interface OwnerLookupOptions {
  /** PIDs to search first (e.g. the agent's process tree); the whole /proc table is searched only when they miss. */
  candidatePids?: number[];
}

/** The client side of an accepted connection is the peer: remoteAddress/remotePort as seen by our server socket.
 *  Returns undefined when not found (not Linux, process gone, permission denied, connection from another netns). */
export async function findSocketOwner(peer: Endpoint, local: Endpoint, options: OwnerLookupOptions = {}): Promise<SocketOwner | undefined> {
  const holder = await findSocketHolder(peer, local, options);
  return holder && { pid: holder.pid, exe: holder.exe };
}

/** As findSocketOwner, with the fd the owner holds the socket on (see noteFdFreed). */
export async function findSocketHolder(
  peer: Endpoint,
  local: Endpoint,
  options: OwnerLookupOptions = {},
): Promise<SocketHolder | undefined> {
  if (process.platform !== 'linux') return undefined;
  const inode = await findClientInode(peer, local);
  if (inode === undefined) return undefined;
  const recalled = recallHolder(inode);
  const holder =
    (recalled && confirmHolder(recalled.pid, recalled.fd, socketLink(inode))) ?? (await searchHolder(inode, options.candidatePids ?? []));
  if (holder === undefined) return undefined;
  rememberHolder(inode, holder.pid, holder.fd);
  return holder;
}

/** Candidates, then recent holders, then every other process, newest pid first: short-lived tools an agent
 *  runs (curl, git) are more likely owners than long-running system daemons with low pids. */
async function searchHolder(inode: number, candidates: number[]): Promise<SocketHolder | undefined> {
  const seen = new Set<number>();
  function* unseen(pids: Iterable<number>) {
    for (const pid of pids) {
      if (!isPid(pid) || seen.has(pid)) continue;
      seen.add(pid);
      yield pid;
    }
  }
  const slice = slicer();
  return (
    (await findHolder(inode, unseen(candidates), slice)) ??
    (await findHolder(inode, unseen(recentHolderPids()), slice)) ??
    (await findHolder(inode, unseen(listPids().sort((a, b) => b - a)), slice))
  );
}
