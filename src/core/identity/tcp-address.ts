// Addresses as /proc/net/tcp and /proc/net/tcp6 print them: the kernel's in-memory 32-bit address words
// in host byte order (%08X of a big-endian word), then ":" and the port in plain hex.
import { isIP } from 'node:net';
import { endianness } from 'node:os';

/** Address bytes in network order: 4 for IPv4 (IPv4-mapped IPv6 folds to these), 16 for IPv6. */
export function addressBytes(text: string): Uint8Array | undefined {
  let ip = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = ip.indexOf('%'); // fe80::1%eth0: the kernel tables carry no scope
  if (zone !== -1) ip = ip.slice(0, zone);
  const family = isIP(ip);
  if (family === 4) return Uint8Array.from(ip.split('.'), Number);
  if (family !== 6) return undefined;
  // Rewrite a dotted IPv4 tail as two hex groups, then expand "::".
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    ip = `${ip.slice(0, dotted.index) + ((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = ip.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const all = [...before, ...Array<string>(8 - before.length - after.length).fill('0'), ...after];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[2 * i] = value >> 8;
    bytes[2 * i + 1] = value & 0xff;
  });
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

const littleEndian = endianness() === 'LE';

/** "ADDR:PORT" exactly as the kernel prints it: the address as host-order 32-bit words. */
export function procAddress(bytes: Uint8Array, port: number): string {
  let hex = '';
  for (let i = 0; i < bytes.length; i += 4) {
    const word = littleEndian
      ? bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)
      : (bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3];
    hex += (word >>> 0).toString(16).toUpperCase().padStart(8, '0');
  }
  return `${hex}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** ::ffff:a.b.c.d, the form an IPv4 peer of an AF_INET6 socket takes in tcp6. */
export function toMapped(v4: Uint8Array): Uint8Array {
  return Uint8Array.from([...MAPPED_PREFIX, ...v4]);
}

/** One side of a TCP connection. */
export interface Endpoint {
  address: string;
  port: number;
}
