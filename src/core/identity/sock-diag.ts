// The optional native lookup (native/sock-diag, netlink sock_diag): one socket's inode by its exact
// 4-tuple in ~10 µs, where reading /proc/net/tcp costs milliseconds on a busy machine. Built on
// `npm install` when a C compiler and Node's headers are there; without it, /proc is read instead.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../project-root.js';
import { addressBytes, toMapped } from './tcp-address.js';
import type { Endpoint } from './tcp-table.js';

type Lookup = (family: 4 | 6, src: Buffer, srcPort: number, dst: Buffer, dstPort: number) => [number, number] | null;

export const SOCK_DIAG_ADDON = join(PROJECT_ROOT, 'native', 'sock-diag', 'build', 'Release', 'sock_diag.node');

function load(): Lookup | undefined {
  if (process.platform !== 'linux' || process.env.OPENSHELL_TERM_NO_SOCK_DIAG === '1') return undefined;
  try {
    return (createRequire(import.meta.url)(SOCK_DIAG_ADDON) as { lookup: Lookup }).lookup;
  } catch {
    return undefined;
  }
}

let lookup = load();

/** Whether the native lookup is in use. */
export function sockDiagAvailable(): boolean {
  return lookup !== undefined;
}

/**
 * The client socket's inode: the client end's local address is our peer, its remote address our local
 * one. An IPv4 peer on a dual-stack listener may be an IPv4 or an IPv4-mapped IPv6 socket: both are
 * asked. Returns undefined when not found, null when the native lookup is unavailable (or failed, after
 * which it is not used again: /proc is always right).
 */
export function sockDiagInode(peer: Endpoint, local: Endpoint): number | undefined | null {
  if (!lookup) return null;
  const from = addressBytes(peer.address);
  const to = addressBytes(local.address);
  if (!from || !to || from.length !== to.length) return undefined;
  try {
    if (from.length === 16) return lookup(6, Buffer.from(from), peer.port, Buffer.from(to), local.port)?.[0];
    return (
      lookup(4, Buffer.from(from), peer.port, Buffer.from(to), local.port)?.[0] ??
      lookup(6, Buffer.from(toMapped(from)), peer.port, Buffer.from(toMapped(to)), local.port)?.[0]
    );
  } catch {
    lookup = undefined;
    return null;
  }
}
