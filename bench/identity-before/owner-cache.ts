// The identity lookup as it was before every holder was judged and binaries proven (commit 33521f5): the first
// holder found wins. Kept unchanged as bench/identity's same-run baseline; nothing in src/ uses it.
// Remembers who held recent sockets. Entries are hints, never answers: a recalled holder is confirmed
// against /proc before use, so a stale entry costs one readlink, not a wrong binary.
//  - by inode: a connection looked up again skips the fd scan entirely;
//  - recent holder pids: an agent process that opened one connection usually opens the next, so these
//    are scanned before the rest of /proc when the caller's candidates miss;
//  - fd hints per pid: the kernel gives a new socket the lowest free fd, which is very often one that a
//    connection of the same process just closed. So fds whose connections have closed (lowest first) are
//    read first, and the two fds just above the newest one found (a process that only opens connections
//    gets ascending fds); then fds of connections still open on our side, oldest first (the likeliest to
//    have been closed by the client a moment ago), and only then the rest of the process's fd table, from
//    above the newest fd, wrapping around.
const TTL_MS = 5_000;
const MAX_INODES = 1024;
const MAX_RECENT_PIDS = 8;
const MAX_FD_HINTS = 32;

interface Entry {
  pid: number;
  fd: string;
  expires: number;
}

const byInode = new Map<number, Entry>();
let recentPids: number[] = [];
/** Per followed pid: fd → whether its connection is still open on our side (oldest first). */
const fdStates = new Map<number, Map<number, { open: boolean }>>();

export function recallHolder(inode: number): { pid: number; fd: string } | undefined {
  const entry = byInode.get(inode);
  if (entry === undefined) return undefined;
  if (entry.expires > performance.now()) return entry;
  byInode.delete(inode);
  return undefined;
}

export function rememberHolder(inode: number, pid: number, fd: string): void {
  const now = performance.now();
  byInode.delete(inode); // re-insert at the end: the map stays ordered by expiry
  // Insertion order is expiry order, so expired (or surplus) entries are all at the front.
  for (const [key, entry] of byInode) {
    if (entry.expires > now && byInode.size < MAX_INODES) break;
    byInode.delete(key);
  }
  byInode.set(inode, { pid, fd, expires: now + TTL_MS });
  recentPids = [pid, ...recentPids.filter((p) => p !== pid)].slice(0, MAX_RECENT_PIDS);
  for (const followed of fdStates.keys()) if (!recentPids.includes(followed)) fdStates.delete(followed);
  const fds = fdStates.get(pid) ?? new Map<number, { open: boolean }>();
  fdStates.set(pid, fds);
  fds.delete(Number(fd)); // re-inserted last: the map stays ordered oldest first
  fds.set(Number(fd), { open: true });
  if (fds.size > MAX_FD_HINTS) fds.delete(fds.keys().next().value!);
}

export function recentHolderPids(): readonly number[] {
  return recentPids;
}

/** A connection whose client end was `fd` of `pid` has closed: that fd is probably free again. */
export function noteFdFreed(pid: number, fd: string): void {
  const state = fdStates.get(pid)?.get(Number(fd));
  if (state) state.open = false;
}

export interface FdSearchPlan {
  /** Fds to read first (see above); undefined for a pid not followed. */
  hints?: Int32Array;
  /** Where to start reading the rest of the fd table: just above the fd its newest connection had. */
  scanFrom: number;
}

/** How to search `pid`'s fds for its new socket. */
export function fdSearchPlan(pid: number): FdSearchPlan {
  const fds = fdStates.get(pid);
  if (!fds) return { scanFrom: 0 };
  const closed: number[] = [];
  const open: number[] = [];
  let newest = -1;
  for (const [fd, state] of fds) {
    (state.open ? open : closed).push(fd);
    newest = fd; // insertion order: the last is the newest
  }
  closed.sort((a, b) => a - b);
  const above = [newest + 1, newest + 2].filter((fd) => !fds.has(fd));
  return { hints: Int32Array.from([...closed, ...above, ...open]), scanFrom: newest + 1 };
}

/** For benchmarks and tests that need every lookup to start cold. */
export function forgetHolders(): void {
  byInode.clear();
  recentPids = [];
  fdStates.clear();
}
