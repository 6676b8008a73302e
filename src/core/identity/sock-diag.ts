// The native lookup (netlink sock_diag, see native-addon.ts): one socket's inode by its exact 4-tuple in
// ~10 µs, where reading /proc/net/tcp costs milliseconds on a busy machine; without it, /proc is read.
import { nativeIdentity } from './native-addon.js';
import { addressBytes, toMapped, type Endpoint } from './tcp-address.js';

let lookup = nativeIdentity?.lookup;
let lookupInNetns = nativeIdentity?.lookupInNetns;

/** Whether the native lookup is in use. */
export function sockDiagAvailable(): boolean {
  return lookup !== undefined;
}

type Ask = (family: 4 | 6, src: Buffer, srcPort: number, dst: Buffer, dstPort: number) => [number, number] | null | false;

/** The client socket's inode: the client end's local address is our peer, its remote address our local
 *  one. An IPv4 peer on a dual-stack listener may be an IPv4 or an IPv4-mapped IPv6 socket: both are asked. */
function ask(peer: Endpoint, local: Endpoint, query: Ask): number | undefined | null {
  const from = addressBytes(peer.address);
  const to = addressBytes(local.address);
  if (!from || !to || from.length !== to.length) return undefined;
  const inodeOf = (answer: [number, number] | null | false) => (answer === false ? null : answer?.[0]);
  if (from.length === 16) return inodeOf(query(6, Buffer.from(from), peer.port, Buffer.from(to), local.port));
  const v4 = inodeOf(query(4, Buffer.from(from), peer.port, Buffer.from(to), local.port));
  if (v4 !== undefined) return v4;
  return inodeOf(query(6, Buffer.from(toMapped(from)), peer.port, Buffer.from(toMapped(to)), local.port));
}

/**
 * The client socket's inode in our network namespace. Returns undefined when not found, null when the
 * native lookup is unavailable (or failed, after which it is not used again: /proc is always right).
 */
export function sockDiagInode(peer: Endpoint, local: Endpoint): number | undefined | null {
  if (!lookup) return null;
  try {
    return ask(peer, local, lookup);
  } catch {
    lookup = undefined;
    return null;
  }
}

/** The same in the network namespace of process `pid`: null when the core cannot enter it (not root), or
 *  the native lookup is unavailable; the caller then reads /proc/<pid>/net. */
export function sockDiagInodeInNetns(pid: number, peer: Endpoint, local: Endpoint): number | undefined | null {
  if (!lookupInNetns) return null;
  const inNetns = lookupInNetns;
  try {
    return ask(peer, local, (...tuple) => inNetns(pid, ...tuple));
  } catch {
    lookupInNetns = undefined;
    return null;
  }
}
