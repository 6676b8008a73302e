// The optional native half of binary identity (native/sock-diag): built on `npm install` when a C
// compiler and Node's headers are there. Without it every lookup reads /proc from JavaScript, which is
// slower but gives the same answers.
import { loadNativeAddon } from '../native/load-addon.js';

export interface NativeIdentity {
  /** The socket matching a TCP 4-tuple exactly: [inode, uid], or null when there is none. */
  lookup(family: 4 | 6, src: Buffer, srcPort: number, dst: Buffer, dstPort: number): [number, number] | null;
  /** The fd of `pid` holding socket `inode` (hints tried first, then the table from scanFrom up, wrapping)
   *  and /proc/<pid>/exe's target, read before the fds; -1 when no fd of it does, -2 when the process is
   *  gone, a kernel thread, or closed to us. */
  findHolder(pid: number, inode: number, hints?: Int32Array, scanFrom?: number): [number, string] | -1 | -2;
}

export const nativeIdentity = loadNativeAddon<NativeIdentity>('sock-diag', 'sock_diag', 'OPENSHELL_TERM_NO_SOCK_DIAG');
