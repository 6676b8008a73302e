// A second console on a state dir whose core is already running attaches to that core over its feed (as
// a second console) instead of starting another core and dying on the taken proxy port. Only a core that
// core.json names, that is alive and that owns its feed's listener gets the token (core-liveness.ts).
import { runningCore } from '../../core/state/core-liveness.js';
import { readToken } from '../../core/state/state-dir.js';
import { FeedGateway } from '../../gateway/feed/feed-gateway.js';

export interface Attached {
  gateway: FeedGateway;
  /** What the console says on its status line. */
  status: string;
}

/** The running core of `stateDir` as a Gateway, or undefined when none runs there (start one then). */
export async function attachToRunningCore(stateDir: string, sandbox?: string): Promise<Attached | undefined> {
  const core = await runningCore(stateDir);
  if (!core.running) return undefined;
  const token = await readToken(stateDir);
  if (!token) return undefined;
  const { info } = core;
  const gateway = new FeedGateway({
    url: info.ws,
    token,
    name: 'core',
    sandbox,
    agents: { proxy: info.proxy, stateDir },
  });
  return {
    gateway,
    status: `attached to the core already running for this state dir (pid ${info.pid}, proxy ${info.proxy}) as a second console; quitting leaves it running`,
  };
}
