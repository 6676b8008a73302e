// One core per state dir. The lock is a listening abstract unix socket (Linux) named after the state dir:
// binding a name is atomic, and the kernel frees it the instant its holder dies (kill -9 included), so a
// lock is never stale and two cores starting at once cannot both win. The name also mixes in a random id
// kept in the state dir (0600), so another user — who cannot read it — cannot squat the name and keep the
// operator's core from starting. Whoever holds the lock answers a connection with its pid: that is how a
// second core names the first, and how a later client can find the running core to attach to.
//
// Elsewhere (no abstract sockets) the lock is a unix socket file in the state dir, taken over when nothing
// answers on it; that takeover is not atomic against a second core doing the same at the same instant.
import { createHash, randomBytes } from 'node:crypto';
import { link, readFile, realpath, unlink, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { abstractListenerInode, processState, socketInodesOf } from './proc-sockets.js';

const LOCK_ID_FILE = 'lock.id';
const SOCKET_FILE = 'core.lock.sock';
const ABSTRACT = process.platform === 'linux';

export interface LockHolder {
  pid: number;
}

export interface StateLock {
  /** Frees the lock (also freed by the kernel when this process dies). */
  release(): Promise<void>;
}

/** The state dir is held by another live process. */
export class StateLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(
      holder
        ? `another core (pid ${holder.pid}) is already running for state dir ${dir}; use it (e.g. openshell-term requests --state-dir ${dir}) or stop it first`
        : `another process holds the lock of state dir ${dir} and does not answer as a core; is a core still starting or stopping there?`,
    );
  }
}

/** Takes the state dir's lock, or throws StateLockedError naming the holder. */
export async function acquireStateLock(dir: string): Promise<StateLock> {
  const address = await lockAddress(dir, true);
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.end(`${JSON.stringify({ pid: process.pid })}\n`);
  });
  try {
    await listen(server, address!);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    if (!ABSTRACT && (await lockHolder(dir)) === undefined) {
      // A socket file left by a core that died: nothing answers on it.
      await unlink(address!).catch(() => undefined);
      await listen(server, address!);
    } else {
      throw new StateLockedError(dir, await lockHolder(dir));
    }
  }
  // The lock must not keep a process alive on its own.
  server.unref();
  return {
    release: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}

/**
 * Who holds the state dir's lock: the live process that answers on it (and, on Linux, really holds the
 * listening socket), or undefined when no core runs there.
 */
export async function lockHolder(dir: string): Promise<LockHolder | undefined> {
  const address = await lockAddress(dir, false);
  if (!address) return undefined;
  const answer = await ask(address);
  if (!answer || processState(answer.pid) === 'gone') return undefined;
  if (ABSTRACT) {
    // The answer names a pid; believe it only if that process holds the listening socket.
    const inode = await abstractListenerInode(address.slice(1));
    const inodes = await socketInodesOf(answer.pid);
    if (inode === undefined || inodes === 'gone') return undefined;
    if (inodes !== 'denied' && !inodes.has(inode)) return undefined;
  }
  return { pid: answer.pid };
}

async function lockAddress(dir: string, create: boolean): Promise<string | undefined> {
  if (!ABSTRACT) return join(dir, SOCKET_FILE);
  const id = await lockId(dir, create);
  if (!id) return undefined;
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    return undefined;
  }
  const digest = createHash('sha256').update(`${real}\0${id}`).digest('hex').slice(0, 40);
  return `\0openshell-term/${digest}`;
}

/** The state dir's random lock id; created once, atomically (link fails if another process made it first). */
async function lockId(dir: string, create: boolean): Promise<string | undefined> {
  const file = join(dir, LOCK_ID_FILE);
  const read = async () => {
    try {
      const text = (await readFile(file, 'utf8')).trim();
      return /^[0-9a-f]{32}$/.test(text) ? text : undefined;
    } catch {
      return undefined;
    }
  };
  const existing = await read();
  if (existing || !create) return existing;
  const temp = join(dir, `.${LOCK_ID_FILE}.${process.pid}.${randomBytes(6).toString('hex')}`);
  await writeFile(temp, `${randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
  try {
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  const id = await read();
  if (!id) throw new Error(`${file} is not a lock id; remove it and start again`);
  return id;
}

function listen(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => reject(error);
    server.once('error', fail);
    server.listen(address, () => {
      server.off('error', fail);
      resolve();
    });
  });
}

/** Connects to the lock and reads the holder's answer (bounded in time and size). */
function ask(address: string): Promise<LockHolder | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const socket = connect(address);
    const done = (holder: LockHolder | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(holder);
    };
    const timer = setTimeout(() => done(undefined), 2000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 256) done(undefined);
    });
    socket.on('end', () => {
      try {
        const answer = JSON.parse(text) as { pid?: unknown };
        done(typeof answer.pid === 'number' && Number.isSafeInteger(answer.pid) ? { pid: answer.pid } : undefined);
      } catch {
        done(undefined);
      }
    });
    socket.on('error', () => done(undefined));
  });
}
