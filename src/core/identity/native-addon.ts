// The optional native half of binary identity (native/sock-diag): built on `npm install` when a C
// compiler and Node's headers are there. Without it every lookup reads /proc from JavaScript, which is
// slower but gives the same answers.
import { loadNativeAddon } from '../native/load-addon.js';

/** One process holding a socket: [inode, pid, fd, exe, exeDev, exeIno, userNs] (see holders.c). */
export type NativeHolderRow = [number, number, number, string, number, number, number];

export interface NativeIdentity {
  /** The socket matching a TCP 4-tuple exactly, past its handshake: [inode, uid], or null when there is none. */
  lookup(family: 4 | 6, src: Buffer, srcPort: number, dst: Buffer, dstPort: number): [number, number] | null;
  /** The same in the network namespace of `pid`; false when the core cannot enter it (setns needs root). */
  lookupInNetns(pid: number, family: 4 | 6, src: Buffer, srcPort: number, dst: Buffer, dstPort: number): [number, number] | null | false;
  /** Every process but `skipPid` holding one of `inodes`, on a worker thread; and how many fd tables were closed to us. */
  scanHolders(inodes: Uint32Array, skipPid: number): Promise<[NativeHolderRow[], number]>;
  /** The fd of `pid` holding socket `inode` (hints tried first, then the table from scanFrom up, wrapping; at most
   *  `budget` fds read when it is above 0) and
   *  what the process runs: /proc/<pid>/exe's target, the device and inode stat() gives through it, and its user
   *  namespace's inode, all read before the fds; -1 when no fd of it does, -2 when the process is gone, a kernel
   *  thread, or closed to us. The quick look at a connection as it arrives (arrival.ts). */
  findHolder(
    pid: number,
    inode: number,
    hints?: Int32Array,
    scanFrom?: number,
    budget?: number,
  ): [number, string, number, number, number] | -1 | -2;
}

export const nativeIdentity = loadNativeAddon<NativeIdentity>('sock-diag', 'sock_diag', 'OPENSHELL_TERM_NO_SOCK_DIAG');
