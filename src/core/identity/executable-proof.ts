// What a process runs, as far as the core can prove it. /proc/<pid>/exe reads as a path, but that path is
// printed from the process's own view of the filesystem: in another mount namespace, a bind mount or an
// overlay can make node's binary sit at /usr/bin/curl, and the link then reads "/usr/bin/curl". The kernel
// does know which file it runs: stat() through the link reaches that file (device and inode) whatever path
// names it. So a path is the binary's name only when the same path, looked up in the core's own mount
// namespace, is that same file. Policies name paths as the operator sees them, so that is the name that counts.
//
// A process in another user namespace can lie more deeply: holding every capability there, it may replace
// the file its /proc/<pid>/exe points at with any executable it can open (prctl PR_SET_MM_MAP with exe_fd,
// a checkpoint/restore feature checked against its own user namespace), which passes the device-and-inode
// test while running something else. What such a process runs cannot be proven from outside, so it is not
// named. (A process with capabilities in the core's own user namespace can do the same, and far more: binary
// identity holds against agents without privilege, which is what `run` makes them.)
import { readlinkSync, statSync } from 'node:fs';
import { namespaceOf } from './namespaces.js';
import { tryProc } from './proc.js';

/** What the holder scan read about one process. */
export interface ExecutableFacts {
  pid: number;
  /** /proc/<pid>/exe's target; '' when it could not be read. */
  exe: string;
  /** stat() through /proc/<pid>/exe: the file the kernel runs. */
  exeDev: number;
  exeIno: number;
  /** Inode of its user namespace; 0 when unreadable. */
  userNs: number;
}

export type ExecutableProof = { binary: string } | { unknown: string };

/** What `pid` runs now, read from /proc (exe is '' when it cannot be read). */
export function readExecutableFacts(pid: number): ExecutableFacts {
  const exe = tryProc(() => readlinkSync(`/proc/${pid}/exe`)) ?? '';
  const st = tryProc(() => statSync(`/proc/${pid}/exe`));
  return { pid, exe: st ? exe : '', exeDev: st?.dev ?? 0, exeIno: st?.ino ?? 0, userNs: namespaceOf(pid, 'user') ?? 0 };
}

/** Whether two reads of a process's binary show the same file under the same name. */
export function sameExecutable(a: ExecutableFacts, b: ExecutableFacts): boolean {
  return a.exe === b.exe && a.exeDev === b.exeDev && a.exeIno === b.exeIno && a.userNs === b.userNs;
}

const DELETED = ' (deleted)';
const TTL_MS = 1_000;
const MAX_PATHS = 256;

// path → the file it names here: a binary is named by many connections in a row. Entries live a second, and
// a mismatch is always checked again uncached, so a binary upgraded in place is never held against its new self.
const files = new Map<string, { dev: number; ino: number; expires: number }>();

function fileAt(path: string, fresh: boolean): { dev: number; ino: number } | undefined {
  const now = performance.now();
  const known = files.get(path);
  if (!fresh && known && known.expires > now) return known;
  const st = tryProc(() => statSync(path));
  if (!st) {
    files.delete(path);
    return undefined;
  }
  if (files.size >= MAX_PATHS) files.delete(files.keys().next().value!);
  const entry = { dev: st.dev, ino: st.ino, expires: now + TTL_MS };
  files.delete(path);
  files.set(path, entry);
  return entry;
}

function sameFile(path: string, facts: ExecutableFacts): boolean {
  const matches = (f: { dev: number; ino: number } | undefined) => f !== undefined && f.dev === facts.exeDev && f.ino === facts.exeIno;
  return matches(fileAt(path, false)) || matches(fileAt(path, true));
}

/** The binary `facts` proves, or why none can be named. `coreUserNs` is the core's own user namespace. */
export function proveExecutable(facts: ExecutableFacts, coreUserNs: number | undefined): ExecutableProof {
  const { pid, exe } = facts;
  if (exe === '') return { unknown: `cannot read what pid ${pid} runs (/proc/${pid}/exe is closed to the core, or it exited)` };
  if (coreUserNs !== undefined && facts.userNs !== coreUserNs) {
    return {
      unknown: `pid ${pid} runs in another user namespace, where it can mount over any path and change what /proc/${pid}/exe names (it reads ${exe})`,
    };
  }
  if (exe.startsWith('/') && sameFile(exe, facts)) return { binary: exe };
  if (exe.endsWith(DELETED)) {
    return { unknown: `pid ${pid} runs ${exe.slice(0, -DELETED.length)}, which has been deleted or replaced since it started` };
  }
  return {
    unknown: `/proc/${pid}/exe reads ${exe}, but that path is another file here (a bind mount or overlay in another mount namespace, or the file was replaced)`,
  };
}

/** For tests and benchmarks that need every proof to start cold. */
export function forgetExecutables(): void {
  files.clear();
}
