// Who owns a listening socket, read from /proc (Linux): the inode of the TCP listener on an address, as the
// listening process's own network namespace sees it (/proc/<pid>/net/tcp{,6}), the socket inodes among a
// process's fds, and the inode of a listening abstract unix socket. Used to check that the core named in
// core.json really holds the port before a client sends it the token.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { isIP } from 'node:net';

const LISTEN = '0A';

/** Inodes of TCP listeners on port whose local address is `host` or a wildcard, in pid's network namespace. */
export async function tcpListenerInodes(pid: number, host: string, port: number): Promise<number[]> {
  const wanted = normalizeAddress(host);
  const inodes: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = await readFile(`/proc/${pid}/net/${table}`, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== LISTEN) continue;
      const [addressHex, portHex] = fields[1].split(':');
      if (Number.parseInt(portHex, 16) !== port) continue;
      const address = decodeAddress(addressHex);
      if (address !== wanted && address !== '0.0.0.0' && address !== '::') continue;
      const inode = Number(fields[9]);
      if (inode > 0) inodes.push(inode);
    }
  }
  return inodes;
}

/** Socket inodes among pid's open fds; 'gone' when the process no longer exists, 'denied' when its fds cannot be read. */
export async function socketInodesOf(pid: number): Promise<Set<number> | 'gone' | 'denied'> {
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ESRCH' ? 'gone' : 'denied';
  }
  const inodes = new Set<number>();
  await Promise.all(
    fds.map(async (fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(Number(m[1]));
      } catch {
        // closed in the meantime
      }
    }),
  );
  return inodes;
}

/** The inode of the listening abstract unix socket named `name` (without its leading NUL), in our namespace. */
export async function abstractListenerInode(name: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile('/proc/net/unix', 'latin1');
  } catch {
    return undefined;
  }
  // Num RefCount Protocol Flags Type St Inode Path; listening sockets have the __SO_ACCEPTCON flag (00010000).
  // Node binds abstract names padded with NULs to the full sun_path, which /proc shows as trailing @s.
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8 || fields[7].replace(/@+$/, '') !== `@${name}`) continue;
    if ((Number.parseInt(fields[3], 16) & 0x10000) === 0) continue;
    return Number(fields[6]);
  }
  return undefined;
}

/** Whether a process exists: 'alive', 'gone', or 'foreign' (it exists but belongs to another user). */
export function processState(pid: number): 'alive' | 'gone' | 'foreign' {
  if (!Number.isSafeInteger(pid) || pid <= 0) return 'gone';
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? 'foreign' : 'gone';
  }
}

function normalizeAddress(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 6) return expand6(bare);
  return bare;
}

/** /proc/net/tcp{,6} addresses: 32-bit words in host (little-endian) byte order. */
function decodeAddress(hex: string): string {
  const words: number[] = [];
  for (let i = 0; i < hex.length; i += 8) {
    const word = hex.slice(i, i + 8);
    words.push(...[6, 4, 2, 0].map((j) => Number.parseInt(word.slice(j, j + 2), 16)));
  }
  if (words.length === 4) return words.join('.');
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address for matching.
  if (words.slice(0, 10).every((b) => b === 0) && words[10] === 0xff && words[11] === 0xff) return words.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((words[i] << 8) | words[i + 1]).toString(16));
  return expand6(groups.join(':'));
}

/** A canonical full form for comparing IPv6 addresses (every group, no leading zeros). */
function expand6(address: string): string {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  const groups = [...left, ...fill, ...right].map((g) => Number.parseInt(g || '0', 16).toString(16));
  return groups.every((g) => g === '0') ? '::' : groups.join(':');
}
