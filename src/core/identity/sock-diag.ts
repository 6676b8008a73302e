// The native lookup (netlink sock_diag, see native-addon.ts): one socket's inode by its exact 4-tuple in
// ~10 µs, where reading /proc/net/tcp costs milliseconds on a busy machine; without it, /proc is read.
import { nativeIdentity } from './native-addon.js';
import { addressBytes, toMapped, type Endpoint } from './tcp-address.js';

let lookup = nativeIdentity?.lookup;

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
