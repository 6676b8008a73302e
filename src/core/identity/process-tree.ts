// An agent's process tree, for OwnerLookupOptions.candidatePids: the agent and everything it spawned.
// Built from the ppid in every /proc/<pid>/stat (a consistent source, unlike /proc/<pid>/task/*/children,
// which the kernel documents as unreliable while children are being reparented).
import { isPid, listPids, readSmallFile, slicer, tryProc } from './proc.js';

function parentOf(pid: number): number | undefined {
  const stat = tryProc(() => readSmallFile(`/proc/${pid}/stat`));
  if (stat === undefined) return undefined;
  // "pid (comm) state ppid ...": comm may contain spaces and ')', so fields are counted from the last ')'.
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 2)[1]);
  return Number.isSafeInteger(ppid) ? ppid : undefined;
}

/** `rootPid` and all its descendants, root first; [] when the root is not running. Processes can fork or exit
 *  during the walk, so the tree is a snapshot. Without /proc (not Linux) only the root is known. */
export async function processTree(rootPid: number): Promise<number[]> {
  if (process.platform !== 'linux') return [rootPid];
  if (!isPid(rootPid) || parentOf(rootPid) === undefined) return [];
  const children = new Map<number, number[]>();
  const slice = slicer();
  for (const pid of listPids()) {
    const ppid = parentOf(pid);
    if (ppid !== undefined && ppid !== pid) {
      const siblings = children.get(ppid);
      if (siblings) siblings.push(pid);
      else children.set(ppid, [pid]);
    }
    const pause = slice.spend(3); // open, read, close
    if (pause) await pause;
  }
  const tree = [rootPid];
  const seen = new Set(tree);
  for (let i = 0; i < tree.length; i++) {
    for (const child of children.get(tree[i]) ?? []) {
      if (seen.has(child)) continue; // a pid recycled mid-walk must not make a loop
      seen.add(child);
      tree.push(child);
    }
  }
  return tree;
}

/** A quick guess at `rootPid`'s tree from /proc/<pid>/task/<pid>/children (one read per process, no
 *  whole-table scan), for ordering a search only: the kernel says those files can miss children being
 *  reparented, and only the main thread's children are read. At most `limit` pids, root first. */
export function quickProcessTree(rootPid: number, limit = 64): number[] {
  if (process.platform !== 'linux' || !isPid(rootPid)) return [];
  const tree = [rootPid];
  const seen = new Set(tree);
  for (let i = 0; i < tree.length && tree.length < limit; i++) {
    const children = tryProc(() => readSmallFile(`/proc/${tree[i]}/task/${tree[i]}/children`)) ?? '';
    for (const word of children.split(' ')) {
      const child = Number(word);
      if (!isPid(child) || seen.has(child) || word === '') continue;
      seen.add(child);
      tree.push(child);
    }
  }
  return tree.slice(0, limit);
}

/** Whether `pid` is one of `roots` or descends from one (its ppid chain, read now from /proc). */
export function descendsFrom(pid: number, roots: ReadonlySet<number>): boolean {
  if (roots.size === 0 || !isPid(pid)) return false;
  let current: number | undefined = pid;
  for (let hops = 0; current !== undefined && current > 1 && hops < 1024; hops++) {
    if (roots.has(current)) return true;
    current = parentOf(current);
  }
  return false;
}
