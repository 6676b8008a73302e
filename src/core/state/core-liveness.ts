// Is the core named in core.json really running, and really the one listening where it says? After a
// kill -9 the file stays behind: its pid may be dead or reused by another process, and its port may now
// belong to anyone. A client checks before it sends a byte (above all, the token): the pid is alive and
// ours, and the listening socket on the feed's address is among that pid's open fds (/proc). Where the
// fds cannot be read (a core that made itself non-dumpable, seen by a non-root client), the state dir's
// lock stands in: its holder must be that pid.
import { processState, socketInodesOf, tcpListenerInodes } from './proc-sockets.js';
import { readRuntimeInfo, type RuntimeInfo } from './state-dir.js';
import { lockHolder } from './state-lock.js';

export type CoreCheck = { running: true; info: RuntimeInfo } | { running: false; reason: string };

/** The running core of a state dir, verified; or why there is none. */
export async function runningCore(dir: string): Promise<CoreCheck> {
  const info = await readRuntimeInfo(dir);
  const none = (why: string): CoreCheck => ({
    running: false,
    reason: `no core is running for state dir ${dir}${why ? ` (${why})` : ''}; start one with: openshell-term core --state-dir ${dir}`,
  });
  if (!info || typeof info.pid !== 'number' || typeof info.ws !== 'string') return none('');
  const problem = await listenerProblem(dir, info.pid, info.ws);
  return problem ? none(`core.json names pid ${info.pid}, ${problem}`) : { running: true, info };
}

/**
 * Why pid is not the process listening at url (ws://H:P/ or http://H:P), or undefined when it is.
 * Call it again right before sending: the answer holds only for the moment it was given.
 */
export async function listenerProblem(dir: string, pid: number, url: string): Promise<string | undefined> {
  const state = processState(pid);
  if (state === 'gone') return 'which is not running';
  if (state === 'foreign') return 'which belongs to another user';
  let host: string;
  let port: number;
  try {
    const parsed = new URL(url);
    host = parsed.hostname;
    port = Number(parsed.port);
  } catch {
    return `and an address that is not a URL (${url})`;
  }
  if (process.platform !== 'linux') return undefined;
  const listeners = await tcpListenerInodes(pid, host, port);
  if (listeners.length === 0) return `but nothing listens on ${host}:${port} there`;
  const held = await socketInodesOf(pid);
  if (held === 'gone') return 'which is not running';
  if (held === 'denied') return (await lockHolder(dir))?.pid === pid ? undefined : `which does not hold this state dir's lock`;
  return listeners.some((inode) => held.has(inode)) ? undefined : `which does not own the listener on ${host}:${port}`;
}
