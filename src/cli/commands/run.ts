// `run -- CMD ARGS...`: puts an agent behind the core — the running one for this state dir, or one started
// in-process — by setting the proxy variables every common HTTP stack honours.
import { spawn } from 'node:child_process';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { CORE_FLAGS, standaloneOptions, stateDirOf } from './core-flags.js';
import { runningCore } from '../../core/state/core-liveness.js';
import { startStandalone, type Standalone } from '../../gateway/embedded/standalone.js';
import { createIsolatedNetwork, isolationUnavailable, type IsolatedNetwork } from '../../core/isolation/network-namespace.js';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CA_BUNDLE_FILE, caBundleEnv } from '../../core/tls/ca-bundle.js';

/**
 * The environment an agent gets: every proxy variable, upper and lower case (nothing bypasses the proxy),
 * and every common CA-bundle variable pointing at system roots + the core's CA (for TLS inspection).
 */
export function proxyEnvironment(base: NodeJS.ProcessEnv, proxy: string, caBundle?: string): NodeJS.ProcessEnv {
  const url = `http://${proxy}`;
  const env: NodeJS.ProcessEnv = { ...base, ...(caBundle ? caBundleEnv(caBundle) : {}) };
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY']) {
    env[name] = url;
    env[name.toLowerCase()] = url;
  }
  env.NO_PROXY = '';
  env.no_proxy = '';
  return env;
}

export const runCommand: Command = {
  path: ['run'],
  usage: 'run [--state-dir DIR] [--isolate] [core flags] -- CMD ARGS...',
  summary:
    "Run an agent through the core (the running one for the state dir, or one started in-process). Exits with the agent's exit code.",
  flags: {
    ...CORE_FLAGS,
    isolate: {
      type: 'boolean',
      description: 'Linux, root: run the agent in a network namespace whose only reachable address is the proxy',
    },
  },
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError('give the command to run after --, e.g. run -- curl https://pypi.org/simple/');
    const dir = stateDirOf(args, io.env);
    const isolate = Boolean(args.flags.isolate);
    const unavailable = isolate ? isolationUnavailable() : undefined;
    if (unavailable) throw new UsageError(unavailable);
    // Only a core that is alive and owns the port core.json names (never an impostor on a dead core's port).
    const running = await runningCore(dir);
    let embedded: Standalone | undefined;
    let proxy: string;
    if (running.running && running.info.pid !== process.pid) {
      proxy = running.info.proxy;
      io.stderr.write(`openshell-term: using the core already running for ${dir} (proxy ${proxy})\n`);
    } else {
      embedded = await startStandalone({
        ...standaloneOptions(args, io.env),
        proxyListen: (args.flags['proxy-listen'] as string | undefined) ?? '127.0.0.1:0',
      });
      proxy = embedded.proxyAddress;
      io.stderr.write(
        `openshell-term: started a core for ${dir} (proxy ${proxy}); decide requests with: openshell-term requests --state-dir ${dir}\n`,
      );
    }
    let network: IsolatedNetwork | undefined;
    let relay: Server | undefined;
    if (isolate) {
      network = await createIsolatedNetwork();
      if (embedded) {
        const at = await embedded.proxy.listen(network.hostAddress, 0);
        proxy = `${network.hostAddress}:${at.port}`;
      } else {
        // A core in another process listens on loopback only: relay the namespace's side to it.
        relay = await relayTo(network.hostAddress, proxy);
        proxy = `${network.hostAddress}:${(relay.address() as AddressInfo).port}`;
      }
      io.stderr.write(
        `openshell-term: isolated in network namespace ${network.name}; the only reachable address is the proxy (${proxy})\n`,
      );
    }
    const [cmd, ...rest] = network ? [...network.execPrefix, ...args.positionals] : args.positionals;
    const bundle = join(dir, CA_BUNDLE_FILE);
    const child = spawn(cmd, rest, { stdio: 'inherit', env: proxyEnvironment(io.env, proxy, existsSync(bundle) ? bundle : undefined) });
    if (child.pid) embedded?.agentPids.add(child.pid);
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const code = await new Promise<number>((resolve) => {
      child.once('error', (error) => {
        io.stderr.write(`openshell-term: cannot run ${cmd}: ${(error as NodeJS.ErrnoException).code ?? error.message}\n`);
        resolve(127);
      });
      child.once('exit', (status, signal) => resolve(status ?? (signal ? 128 + 15 : 1)));
    });
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    relay?.close();
    await embedded?.stop();
    await network?.destroy();
    return code;
  },
};

/** A plain TCP relay from the namespace side to a proxy listening elsewhere on this host. */
function relayTo(host: string, target: string): Promise<Server> {
  const colon = target.lastIndexOf(':');
  const [targetHost, targetPort] = [target.slice(0, colon).replace(/^\[|\]$/g, ''), Number(target.slice(colon + 1))];
  const server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}
