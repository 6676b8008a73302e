// `run -- CMD ARGS...`: puts an agent behind the core — the running one for this state dir, or one started
// in-process — by setting the proxy variables every common HTTP stack honours.
import { spawn } from 'node:child_process';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { CORE_FLAGS, standaloneOptions, stateDirOf } from './core-flags.js';
import { readRuntimeInfo } from '../../core/state/state-dir.js';
import { startStandalone, type Standalone } from '../../gateway/embedded/standalone.js';

/** The environment an agent gets: every proxy variable, upper and lower case; nothing bypasses the proxy. */
export function proxyEnvironment(base: NodeJS.ProcessEnv, proxy: string): NodeJS.ProcessEnv {
  const url = `http://${proxy}`;
  const env = { ...base };
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY']) {
    env[name] = url;
    env[name.toLowerCase()] = url;
  }
  env.NO_PROXY = '';
  env.no_proxy = '';
  return env;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const runCommand: Command = {
  path: ['run'],
  usage: 'run [--state-dir DIR] [core flags] -- CMD ARGS...',
  summary: 'Run an agent through the core (the running one for the state dir, or one started in-process). Exits with the agent\'s exit code.',
  flags: CORE_FLAGS,
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError('give the command to run after --, e.g. run -- curl https://pypi.org/simple/');
    const dir = stateDirOf(args, io.env);
    const info = await readRuntimeInfo(dir);
    let embedded: Standalone | undefined;
    let proxy: string;
    if (info && alive(info.pid) && info.pid !== process.pid) {
      proxy = info.proxy;
      io.stderr.write(`openshell-term: using the core already running for ${dir} (proxy ${proxy})\n`);
    } else {
      embedded = await startStandalone({ ...standaloneOptions(args, io.env), proxyListen: (args.flags['proxy-listen'] as string | undefined) ?? '127.0.0.1:0' });
      proxy = embedded.proxyAddress;
      io.stderr.write(`openshell-term: started a core for ${dir} (proxy ${proxy}); decide requests with: openshell-term requests --state-dir ${dir}\n`);
    }
    const [cmd, ...rest] = args.positionals;
    const child = spawn(cmd, rest, { stdio: 'inherit', env: proxyEnvironment(io.env, proxy) });
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
    await embedded?.stop();
    return code;
  },
};
