// Every process holding a socket. Linux keeps no list of a socket's holders, so every process's fd table is
// read: /proc/<pid>/fd/<n> reads "socket:[<inode>]" for a socket. The first holder found is not enough: a
// socket inherited across fork (then exec) or passed with SCM_RIGHTS is held by several processes, possibly
// running different binaries, and every one of them must be judged.
//
// Reading every fd table costs a few microseconds per fd on the whole machine, so one read serves every
// lookup waiting for it: connections accepted while a read is under way share the next one. (They cannot
// join the read under way: it may have passed their holders already.) The native scan runs on a worker
// thread; without it the tables are read from JavaScript in slices, yielding to the event loop.
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { readExecutableFacts, type ExecutableFacts } from './executable-proof.js';
import { nativeIdentity } from './native-addon.js';
import { listPids, slicer, tryProc } from './proc.js';

export interface SocketHolder extends ExecutableFacts {
  /** The fd it holds the socket at. */
  fd: number;
}

export interface HolderScan {
  /** Holders per socket inode (absent: none). */
  holders: Map<number, SocketHolder[]>;
  /** fd tables the core could not read (another user's processes, when the core is not root). */
  unreadable: number;
}

interface Waiter {
  inode: number;
  settle(holders: SocketHolder[], unreadable: number): void;
  fail(error: unknown): void;
}

let queued: Waiter[] = [];
let scanning = false;
let scanner = nativeIdentity ? nativeScan : scanInJavaScript;

/** Every process other than the core holding socket `inode`, read after this call was made. The core's own
 *  fds are not read: the core runs no agent code, and under load its table is the largest on the machine. */
export function socketHolders(inode: number): Promise<{ holders: SocketHolder[]; unreadable: number }> {
  return new Promise((resolve, reject) => {
    queued.push({ inode, settle: (holders, unreadable) => resolve({ holders, unreadable }), fail: reject });
    if (!scanning) {
      scanning = true;
      // Start on the next turn, so that connections accepted in the same turn share the first read too.
      setImmediate(() => void drain());
    }
  });
}

async function drain(): Promise<void> {
  try {
    while (queued.length > 0) {
      const batch = queued;
      queued = [];
      try {
        const scan = await scanner(new Set(batch.map((w) => w.inode)));
        for (const waiter of batch) waiter.settle(scan.holders.get(waiter.inode) ?? [], scan.unreadable);
      } catch (error) {
        for (const waiter of batch) waiter.fail(error);
      }
    }
  } finally {
    scanning = false;
  }
}

async function nativeScan(inodes: Set<number>): Promise<HolderScan> {
  const [rows, unreadable] = await nativeIdentity!.scanHolders(Uint32Array.from(inodes), process.pid);
  const holders = new Map<number, SocketHolder[]>();
  for (const [inode, pid, fd, exe, exeDev, exeIno, userNs] of rows) {
    const list = holders.get(inode) ?? [];
    list.push({ pid, fd, exe, exeDev, exeIno, userNs });
    holders.set(inode, list);
  }
  return { holders, unreadable };
}

/** The same from JavaScript: every thread's table is read (there is no kcmp here to skip shared ones). */
export async function scanInJavaScript(inodes: Set<number>): Promise<HolderScan> {
  const links = new Map([...inodes].map((inode) => [`socket:[${inode}]`, inode]));
  const holders = new Map<number, SocketHolder[]>();
  let unreadable = 0;
  const slice = slicer();
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    const tables = [`/proc/${pid}/fd`];
    const threads = tryProc(() => statSync(`/proc/${pid}/task`).nlink) ?? 0;
    if (threads > 3) {
      for (const tid of tryProc(() => readdirSync(`/proc/${pid}/task`)) ?? [])
        if (tid !== String(pid)) tables.push(`/proc/${pid}/task/${tid}/fd`);
    }
    const found: Array<{ inode: number; fd: number }> = [];
    let reads = 0;
    reading: for (const table of tables) {
      let fds: string[] = [];
      try {
        fds = readdirSync(table);
      } catch (error) {
        if (table !== tables[0]) continue;
        if ((error as NodeJS.ErrnoException).code === 'EACCES') unreadable++;
        break; // gone, or closed to us: so are its threads' tables
      }
      reads += 1 + fds.length;
      for (const fd of fds) {
        let link: string;
        try {
          link = readlinkSync(`${table}/${fd}`);
        } catch (error) {
          // Access to a process's fd links is all or nothing (ptrace rights over it): one refused, all are.
          if ((error as NodeJS.ErrnoException).code === 'EACCES') {
            unreadable++;
            break reading;
          }
          continue;
        }
        const inode = links.get(link);
        if (inode !== undefined && !found.some((f) => f.inode === inode && f.fd === Number(fd))) found.push({ inode, fd: Number(fd) });
      }
    }
    if (found.length > 0) {
      const facts = readExecutableFacts(pid);
      // Without a directory fd to read through, a pid reused between the reads could lend its binary: the
      // fds are read again after the binary, and only those still holding the socket count.
      for (const { inode, fd } of found) {
        if (tables.every((table) => tryProc(() => readlinkSync(`${table}/${fd}`)) !== `socket:[${inode}]`)) continue;
        const list = holders.get(inode) ?? [];
        list.push({ ...facts, fd });
        holders.set(inode, list);
      }
    }
    const pause = slice.spend(reads);
    if (pause) await pause;
  }
  return { holders, unreadable };
}

/** Reads fd tables from JavaScript even when the native addon is built (tests of the fallback). */
export function useJavaScriptScan(on: boolean): void {
  scanner = on || !nativeIdentity ? scanInJavaScript : nativeScan;
}
