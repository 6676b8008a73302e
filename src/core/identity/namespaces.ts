// Which namespaces a process lives in, by the inode of its /proc/<pid>/ns/<type> link ("user:[4026531837]").
// Two processes are in the same namespace exactly when these inodes are equal (one nsfs filesystem).
import { readlinkSync } from 'node:fs';
import { tryProc } from './proc.js';

/** The namespace inode `/proc/<pid>/ns/<type>` names; undefined when the process is gone or closed to us. */
export function namespaceOf(pid: number | 'self', type: 'net' | 'user' | 'mnt'): number | undefined {
  const link = tryProc(() => readlinkSync(`/proc/${pid}/ns/${type}`));
  const inode = Number(link?.slice(type.length + 2, -1));
  return link?.startsWith(`${type}:[`) && Number.isSafeInteger(inode) ? inode : undefined;
}

let own: { net?: number; user?: number } | undefined;

/** The core's own network and user namespaces (fixed for its lifetime: Node never calls setns or unshare). */
export function ownNamespaces(): { net?: number; user?: number } {
  own ??= { net: namespaceOf('self', 'net'), user: namespaceOf('self', 'user') };
  return own;
}
