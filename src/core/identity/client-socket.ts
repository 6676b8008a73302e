// Finds the client end of a connection our proxy accepted: its socket inode, in whichever network namespace
// it lives. An agent under `run --isolate` has a namespace of its own and reaches the proxy over a veth pair,
// so its socket is not in our tables; it is in the tables of its own namespace, with the same 4-tuple
// (nothing translates addresses on the way).
//
// Where to look, in order:
//  1. our own namespace;
//  2. the namespaces of the agents this core started, and of their process trees;
//  3. the namespaces of every other process (at most MAX_NAMESPACES of them).
// A 4-tuple is unique within one namespace but not across namespaces: anyone may make a namespace of their
// own (an unprivileged user namespace suffices), give it our addresses, and connect a socket there with the
// very tuple of someone else's connection to us. So at steps 2 and 3 every namespace of the step is asked,
// and a tuple found in more than one of them is ambiguous: no socket is named. (In our own namespace only a
// connection to us can carry the tuple: half-open sockets with borrowed addresses are not counted.)
import { namespaceOf, ownNamespaces } from './namespaces.js';
import { listPids, slicer } from './proc.js';
import { sockDiagInode, sockDiagInodeInNetns } from './sock-diag.js';
import { findClientInodeInProc } from './tcp-table.js';
import type { Endpoint } from './tcp-address.js';

/** How many other network namespaces step 3 asks before giving up (each costs a table lookup). */
export const MAX_NAMESPACES = 64;

export type ClientSocket = { inode: number; netns?: number } | { ambiguous: string } | { notFound: string };

/** The inode of the client end of the connection our server sees from `peer` on `local`. */
export async function findClientSocket(peer: Endpoint, local: Endpoint, agentPids: number[]): Promise<ClientSocket> {
  const own = sockDiagInode(peer, local);
  const inode = own === null ? await findClientInodeInProc(peer, local) : own;
  if (inode !== undefined) return { inode };
  if (process.platform !== 'linux') return { notFound: 'binary identity needs Linux' };

  const ownNet = ownNamespaces().net;
  const asked = new Set<number>(ownNet === undefined ? [] : [ownNet]);
  const agents = namespacesOf(agentPids, asked);
  const inAgents = await searchNamespaces(agents, peer, local);
  if (inAgents) return inAgents;

  const slice = slicer();
  const everyone = new Map<number, number>();
  for (const pid of listPids().sort((a, b) => b - a)) {
    const netns = namespaceOf(pid, 'net');
    if (netns !== undefined && !asked.has(netns) && !everyone.has(netns)) everyone.set(netns, pid);
    const pause = slice.spend(1);
    if (pause) await pause;
  }
  if (everyone.size > MAX_NAMESPACES) {
    return { notFound: `the connection is not from this network namespace, and ${everyone.size} others are too many to search` };
  }
  return (
    (await searchNamespaces(everyone, peer, local)) ?? {
      notFound: 'no network namespace the core can see holds the client end (the client exited, or lives where the core cannot look)',
    }
  );
}

/** netns inode → a pid in it, for `pids` (namespaces already in `asked` are skipped, and added). */
function namespacesOf(pids: number[], asked: Set<number>): Map<number, number> {
  const found = new Map<number, number>();
  for (const pid of pids) {
    const netns = namespaceOf(pid, 'net');
    if (netns === undefined || asked.has(netns) || found.has(netns)) continue;
    found.set(netns, pid);
  }
  for (const netns of found.keys()) asked.add(netns);
  return found;
}

/** Asks every namespace in `namespaces`; the tuple must turn up in exactly one. */
async function searchNamespaces(namespaces: Map<number, number>, peer: Endpoint, local: Endpoint): Promise<ClientSocket | undefined> {
  const hits: Array<{ inode: number; netns: number; pid: number }> = [];
  for (const [netns, pid] of namespaces) {
    const inode = await inodeInNamespaceOf(pid, netns, peer, local);
    if (inode !== undefined) hits.push({ inode, netns, pid });
  }
  if (hits.length === 0) return undefined;
  if (hits.length === 1) return { inode: hits[0].inode, netns: hits[0].netns };
  return {
    ambiguous: `the connection's address pair exists in ${hits.length} network namespaces (those of pids ${hits.map((h) => h.pid).join(', ')}): one of them may be a decoy`,
  };
}

async function inodeInNamespaceOf(pid: number, netns: number, peer: Endpoint, local: Endpoint): Promise<number | undefined> {
  const native = sockDiagInodeInNetns(pid, peer, local);
  if (native !== null) return confirmNamespace(pid, netns) ? native : undefined;
  const inode = await findClientInodeInProc(peer, local, `/proc/${pid}/net`);
  // The pid may have exited (and its number been reused) while we read: the tables must be the namespace asked for.
  return confirmNamespace(pid, netns) ? inode : undefined;
}

function confirmNamespace(pid: number, netns: number): boolean {
  return namespaceOf(pid, 'net') === netns;
}
