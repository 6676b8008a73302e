// The identity lookup as it was before every holder was judged and binaries proven (commit 33521f5): the first
// holder found wins. Kept unchanged as bench/identity's same-run baseline; nothing in src/ uses it.
// Which process holds a socket: every open fd is a symlink /proc/<pid>/fd/<n>, reading "socket:[<inode>]"
// for sockets. A socket inherited across fork is held by several processes; the first one scanned wins,
// which is why callers pass the agent's own processes first.
import { readdirSync, readlinkSync } from 'node:fs';
import { fdSearchPlan } from './owner-cache.js';
import { nativeIdentity } from '../../src/core/identity/native-addon.js';
import { tryProc, type Slicer } from '../../src/core/identity/proc.js';

export interface SocketHolder {
  pid: number;
  fd: string;
  exe: string;
}

const DELETED = ' (deleted)';

/** The binary a process runs. The kernel prints the target fully resolved (no symlinks left), and marks a
 *  binary replaced on disk (an upgrade while running) with " (deleted)", which is not part of its path. */
export function readExe(pid: number): string | undefined {
  const target = tryProc(() => readlinkSync(`/proc/${pid}/exe`)); // kernel threads have none
  return target === undefined ? undefined : exePath(target);
}

function exePath(target: string): string {
  return target.endsWith(DELETED) ? target.slice(0, -DELETED.length) : target;
}

/** Names the binary of `pid` if it still holds `link` at `fd`. The fd is checked after reading exe, so a
 *  recycled pid cannot pass its binary off as the owner of a socket it never had. */
export function confirmHolder(pid: number, fd: string, link: string): SocketHolder | undefined {
  const exe = readExe(pid);
  if (exe === undefined) return undefined;
  if (tryProc(() => readlinkSync(`/proc/${pid}/fd/${fd}`)) !== link) return undefined;
  return { pid, fd, exe };
}

/** What /proc/<pid>/fd/<n> reads for a socket. */
export function socketLink(inode: number): string {
  return `socket:[${inode}]`;
}

/** The first of `pids`, in order, with an fd on socket `inode`. */
export async function findHolder(inode: number, pids: Iterable<number>, slice: Slicer): Promise<SocketHolder | undefined> {
  const link = socketLink(inode);
  for (const pid of pids) {
    if (nativeIdentity) {
      const plan = fdSearchPlan(pid);
      const found = nativeIdentity.findHolder(pid, inode, plan.hints, plan.scanFrom);
      if (typeof found !== 'number') return { pid, fd: String(found[0]), exe: exePath(found[1]) };
      const pause = slice.spend(4); // a directory listing and a few reads, all in one call
      if (pause) await pause;
      continue;
    }
    const dir = `/proc/${pid}/fd`;
    const fds = tryProc(() => readdirSync(dir)) ?? [];
    for (const fd of fds) {
      if (tryProc(() => readlinkSync(`${dir}/${fd}`)) !== link) continue;
      const holder = confirmHolder(pid, fd, link);
      if (holder) return holder;
      break; // it exited or closed the socket between our reads: no other fd of this process can hold it
    }
    const pause = slice.spend(1 + fds.length);
    if (pause) await pause;
  }
  return undefined;
}
