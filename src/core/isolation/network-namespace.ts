// `run --isolate`: a fresh network namespace whose only reachable address is the proxy, so an agent that
// ignores proxy variables still cannot get out. Inside: loopback and one veth end on a link-local /30, no
// default route. Outside: the other veth end, where the proxy also listens. Needs root on Linux. The agent
// joins it through native/agent-sandbox (setns on `path`, then exec), so no `ip netns exec` or other
// wrapper sits between `run` and the agent: the pid `run` registers is the agent's own.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface IsolatedNetwork {
  name: string;
  /** The namespace's file, for setns(2). */
  path: string;
  /** The proxy's address as seen from inside the namespace. */
  hostAddress: string;
  destroy(): Promise<void>;
}

export class IsolationError extends Error {}

export function isolationUnavailable(): string | undefined {
  if (process.platform !== 'linux') return '--isolate needs Linux network namespaces';
  if (process.getuid?.() !== 0)
    return '--isolate needs root (it creates a network namespace); run as root, or drop --isolate and rely on the proxy variables';
  return undefined;
}

export async function createIsolatedNetwork(): Promise<IsolatedNetwork> {
  const unavailable = isolationUnavailable();
  if (unavailable) throw new IsolationError(unavailable);
  const id = randomBytes(3).toString('hex');
  const name = `ost-${id}`;
  const outside = `osth${id}`;
  const inside = `ostn${id}`;
  // A link-local /30: never routed, and distinct per namespace (169.254.<a>.<4b+1|2>).
  const a = randomBytes(1)[0] % 254;
  const b = (randomBytes(1)[0] % 63) * 4;
  const hostAddress = `169.254.${a}.${b + 1}`;
  const nsAddress = `169.254.${a}.${b + 2}`;
  const ip = (...args: string[]) => run('ip', args);
  const inNs = (...args: string[]) => run('ip', ['-n', name, ...args]);
  try {
    await ip('netns', 'add', name);
    await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
    await ip('link', 'set', inside, 'netns', name);
    await ip('addr', 'add', `${hostAddress}/30`, 'dev', outside);
    await ip('link', 'set', outside, 'up');
    await inNs('link', 'set', 'lo', 'up');
    await inNs('addr', 'add', `${nsAddress}/30`, 'dev', inside);
    await inNs('link', 'set', inside, 'up');
  } catch (error) {
    await run('ip', ['netns', 'del', name]).catch(() => {});
    await run('ip', ['link', 'del', outside]).catch(() => {});
    throw new IsolationError(
      `could not create the network namespace: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`,
    );
  }
  return {
    name,
    path: `/run/netns/${name}`,
    hostAddress,
    async destroy() {
      // Deleting the namespace removes its veth end, and with it the peer outside.
      await run('ip', ['netns', 'del', name]).catch(() => {});
      await run('ip', ['link', 'del', outside]).catch(() => {});
    },
  };
}
