// Remembers who held recent sockets. Entries are hints, never answers: a recalled holder is confirmed
// against /proc before use, so a stale entry costs one readlink, not a wrong binary.
//  - by inode: a connection looked up again skips the fd scan entirely;
//  - recent holder pids: an agent process that opened one connection usually opens the next, so these
//    are scanned before the rest of /proc when the caller's candidates miss.
const TTL_MS = 5_000;
const MAX_INODES = 1024;
const MAX_RECENT_PIDS = 8;

interface Entry {
  pid: number;
  fd: string;
  expires: number;
}

const byInode = new Map<number, Entry>();
let recentPids: number[] = [];

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
}

export function recentHolderPids(): readonly number[] {
  return recentPids;
}

/** For benchmarks and tests that need every lookup to start cold. */
export function forgetHolders(): void {
  byInode.clear();
  recentPids = [];
}
