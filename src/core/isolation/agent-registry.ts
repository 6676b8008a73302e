// What a core does for `run` when the agent's runner is another process (over the feed): listen on an
// isolated namespace's host-side address, so the agent connects straight to the core and is identified
// as itself (no relay process in between), and remember agent pids, searched first for binary identity.
import { isIPv4 } from 'node:net';
import { existsSync } from 'node:fs';

/** What the feed's `proxy.listen` and `agent.register` commands reach. */
export interface AgentRegistry {
  listen(host: string): Promise<{ address: string; port: number }>;
  register(pid: number): void;
}

interface Listener {
  listen(host: string, port: number): Promise<{ address: string; port: number }>;
}

/** Only the link-local addresses `run --isolate` gives a namespace's host side: never a wildcard or a routed one. */
export function isNamespaceHostAddress(host: string): boolean {
  if (!isIPv4(host)) return false;
  const [a, b, , d] = host.split('.').map(Number);
  return a === 169 && b === 254 && d % 4 === 1;
}

export function agentRegistry(proxy: Listener, agentPids: Set<number>): AgentRegistry {
  return {
    async listen(host) {
      if (!isNamespaceHostAddress(host))
        throw new Error(`proxy.listen takes a namespace's link-local host address (169.254.x.4n+1), not '${host}'`);
      const at = await proxy.listen(host, 0);
      return { address: at.address, port: at.port };
    },
    register(pid) {
      if (!Number.isInteger(pid) || pid <= 1 || !existsSync(`/proc/${pid}`)) throw new Error(`agent.register: no process ${pid}`);
      agentPids.add(pid);
    },
  };
}
