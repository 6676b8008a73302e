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
  /** The fd of `pid` holding socket `inode` and /proc/<pid>/exe's target; -1 when no fd of it does, -2 when the
   *  process is gone, a kernel thread, or closed to us. The first-holder search lookups used before every holder
   *  was read; only the identity benchmark's baseline calls it now. */
  findHolder(pid: number, inode: number, hints?: Int32Array, scanFrom?: number): [number, string] | -1 | -2;
}

export const nativeIdentity = loadNativeAddon<NativeIdentity>('sock-diag', 'sock_diag', 'OPENSHELL_TERM_NO_SOCK_DIAG');
