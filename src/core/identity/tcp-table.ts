// Finds the socket inode of a connection's client end in /proc/net/tcp and /proc/net/tcp6 (our network
// namespace), or in /proc/<pid>/net/tcp{,6} (the namespace of process <pid>).
//
// Each row reads "sl: LOCAL REM st tx:rx tr:when retrnsmt uid timeout inode ...". The client's own socket
// is the row with LOCAL = the peer our server saw and REM = our server's address. An IPv4 client shows up
// in tcp, or in tcp6 as ::ffff:a.b.c.d if it dialled from an AF_INET6 socket.
//
// Every read of these files makes the kernel walk its whole TCP hash table (milliseconds on hosts with a
// lot of memory, however few connections there are): it is by far the largest cost of a lookup. So reads
// go to the threadpool, each file is read at most once per lookup (tcp6 only when tcp missed), a read stops
// once every row it looks for is found, and lookups that arrive while a read is under way share the next
// one: a burst of connections costs a few table walks, not one each. (They cannot join the read already
// under way: it may have passed their row.)
import { open, type FileHandle } from 'node:fs/promises';
import { isSkippableProcError } from './proc.js';
import { addressBytes, procAddress, toMapped, type Endpoint } from './tcp-address.js';

export type { Endpoint } from './tcp-address.js';
import { sockDiagInode } from './sock-diag.js';

export interface TableSearch {
  file: string;
  /** "LOCAL REM" of the client's socket row. */
  key: string;
}

/** The files to search, in order, and the row key to look for in each. `netDir` is /proc/net (our network
 *  namespace) or /proc/<pid>/net (that process's). */
export function tableSearches(peer: Endpoint, local: Endpoint, netDir = '/proc/net'): TableSearch[] {
  const from = addressBytes(peer.address);
  const to = addressBytes(local.address);
  const portOk = (p: number) => Number.isInteger(p) && p > 0 && p <= 0xffff;
  if (!from || !to || from.length !== to.length || !portOk(peer.port) || !portOk(local.port)) return [];
  const key = (a: Uint8Array, b: Uint8Array) => `${procAddress(a, peer.port)} ${procAddress(b, local.port)}`;
  if (from.length === 16) return [{ file: `${netDir}/tcp6`, key: key(from, to) }];
  return [
    { file: `${netDir}/tcp`, key: key(from, to) },
    { file: `${netDir}/tcp6`, key: key(toMapped(from), toMapped(to)) },
  ];
}

/** States (the st column, hex) a client end cannot be in once our server accepted it: SYN_SENT, SYN_RECV,
 *  LISTEN, NEW_SYN_RECV. A half-open socket with a borrowed source address (IP_FREEBIND needs no privilege)
 *  can carry the same tuple as a real client; it is never taken for one. */
const BEFORE_HANDSHAKE = new Set(['02', '03', '0A', '0C']);

/** The socket inode of the first row for `key` in `text` that has one (TIME_WAIT and orphaned rows show 0). */
function inodeFor(text: string, end: number, key: string): number | undefined {
  for (let at = text.indexOf(key); at !== -1 && at < end; at = text.indexOf(key, at + 1)) {
    if (text[at - 1] !== ' ' || text[at - 2] !== ':') continue; // must be the LOCAL REM columns after "sl:"
    const eol = text.indexOf('\n', at);
    // st, tx:rx, tr:when, retrnsmt, uid, timeout, inode
    const fields = text
      .slice(at + key.length, eol)
      .trim()
      .split(/\s+/);
    if (BEFORE_HANDSHAKE.has(fields[0])) continue;
    const inode = Number(fields[6]);
    if (Number.isSafeInteger(inode) && inode > 0) return inode;
  }
  return undefined;
}

interface Waiter {
  key: string;
  settle(inode: number | undefined): void;
  fail(error: unknown): void;
}

/** Reads `file` once, settling every waiter: with its inode when its row turns up, undefined at the end. */
async function readTable(file: string, waiters: Waiter[]): Promise<void> {
  let pending = waiters;
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (!isSkippableProcError(error)) throw error; // ENOENT: a kernel without IPv6 has no tcp6
  }
  try {
    const buffer = Buffer.allocUnsafe(64 * 1024);
    let carry = '';
    while (handle && pending.length > 0) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      // Only whole lines are searched; a partial last line waits for the next read.
      const text = carry + buffer.toString('latin1', 0, bytesRead);
      const complete = text.lastIndexOf('\n') + 1;
      pending = pending.filter((waiter) => {
        const inode = inodeFor(text, complete, waiter.key);
        if (inode !== undefined) waiter.settle(inode);
        return inode === undefined;
      });
      carry = text.slice(complete);
    }
  } finally {
    await handle?.close();
  }
  for (const waiter of pending) waiter.settle(undefined);
}

const queued = new Map<string, Waiter[]>(); // per file: waiters for its next read
const reading = new Set<string>();

async function drain(file: string): Promise<void> {
  reading.add(file);
  try {
    for (let batch = queued.get(file); batch && batch.length > 0; batch = queued.get(file)) {
      queued.set(file, []);
      await readTable(file, batch).catch((error: unknown) => batch!.forEach((waiter) => waiter.fail(error)));
    }
  } finally {
    reading.delete(file);
  }
}

function searchTable({ file, key }: TableSearch): Promise<number | undefined> {
  return new Promise((settle, fail) => {
    const batch = queued.get(file);
    if (batch) batch.push({ key, settle, fail });
    else queued.set(file, [{ key, settle, fail }]);
    // Start on the next turn, so that connections accepted in the same turn share the first read too.
    if (!reading.has(file)) {
      reading.add(file);
      setImmediate(() => void drain(file));
    }
  });
}

/** Socket inode of the client end of the connection our server sees from `peer` on `local`. */
export async function findClientInode(peer: Endpoint, local: Endpoint): Promise<number | undefined> {
  // The exact netlink lookup when the native addon is built; /proc/net/tcp otherwise, or when it misses.
  const exact = sockDiagInode(peer, local);
  if (typeof exact === 'number') return exact;
  return findClientInodeInProc(peer, local);
}

/** The same from /proc/net/tcp{,6} alone (batched reads shared by concurrent lookups); with `netDir`
 *  /proc/<pid>/net, in that process's network namespace. */
export async function findClientInodeInProc(peer: Endpoint, local: Endpoint, netDir?: string): Promise<number | undefined> {
  for (const search of tableSearches(peer, local, netDir)) {
    const inode = await searchTable(search);
    if (inode !== undefined) return inode;
  }
  return undefined;
}
