// The optional native half of binary identity (native/sock-diag): built on `npm install` when a C
// compiler and Node's headers are there. Without it every lookup reads /proc from JavaScript, which is
// slower but gives the same answers.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../project-root.js';

export interface NativeIdentity {
  /** The socket matching a TCP 4-tuple exactly: [inode, uid], or null when there is none. */
  lookup(family: 4 | 6, src: Buffer, srcPort: number, dst: Buffer, dstPort: number): [number, number] | null;
  /** The fd of `pid` holding socket `inode` (hints tried first, then the table from scanFrom up, wrapping)
   *  and /proc/<pid>/exe's target, read before the fds; -1 when no fd of it does, -2 when the process is
   *  gone, a kernel thread, or closed to us. */
  findHolder(pid: number, inode: number, hints?: Int32Array, scanFrom?: number): [number, string] | -1 | -2;
}

export const NATIVE_ADDON = join(PROJECT_ROOT, 'native', 'sock-diag', 'build', 'Release', 'sock_diag.node');

function load(): NativeIdentity | undefined {
  if (process.platform !== 'linux' || process.env.OPENSHELL_TERM_NO_SOCK_DIAG === '1') return undefined;
  try {
    return createRequire(import.meta.url)(NATIVE_ADDON) as NativeIdentity;
  } catch {
    return undefined;
  }
}

export const nativeIdentity: NativeIdentity | undefined = load();
