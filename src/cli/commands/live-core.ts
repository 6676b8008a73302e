// Which core, if any, is really running for a state directory. core.json alone is not enough: a core
// killed outright (or whose terminal was closed) leaves it behind, and its pid may since belong to
// another process. A core counts as live when its pid exists and its feed answers with our token.
// (One place on purpose: when the state directory gets its own lock, this asks the lock instead.)
import { readRuntimeInfo, readToken, type RuntimeInfo } from '../../core/state/state-dir.js';
import { FeedClient } from '../../gateway/feed/feed-client.js';

export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function findLiveCore(stateDir: string, timeoutMs = 2000): Promise<RuntimeInfo | undefined> {
  const info = await readRuntimeInfo(stateDir);
  if (!info || typeof info.pid !== 'number' || typeof info.ws !== 'string' || !processAlive(info.pid)) return undefined;
  const token = await readToken(stateDir);
  if (!token) return undefined;
  const connecting = FeedClient.connect(info.ws, token, timeoutMs);
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Something that accepts the connection but never says hello is not our core either.
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    const answered = await Promise.race([connecting, late]);
    if (!answered) {
      connecting.then(({ client }) => client.close()).catch(() => undefined);
      return undefined;
    }
    answered.client.close();
    return info;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
