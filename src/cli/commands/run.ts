// `run -- CMD ARGS...`: puts an agent behind the core — the running one for this state dir, or one started
// in-process — with the kernel keeping it there: native/agent-sandbox hides the state dir, limits TCP to the
// proxy's port, scopes signals and ptrace, and (with --isolate) moves it into a network namespace as an
// unprivileged user. The environment points every common runtime at the proxy and the core's CA and
// carries no operator credential. What the kernel here cannot enforce is printed at start.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command, CommandIO } from '../command.js';
import { UsageError } from '../command.js';
import { CORE_FLAGS, standaloneOptions, stateDirOf } from './core-flags.js';
import { runningCore } from '../../core/state/core-liveness.js';
import { readToken } from '../../core/state/state-dir.js';
import { startStandalone, type Standalone } from '../../gateway/embedded/standalone.js';
import { FeedClient } from '../../gateway/feed/feed-client.js';
import { createIsolatedNetwork, isolationUnavailable, type IsolatedNetwork } from '../../core/isolation/network-namespace.js';
import { CA_BUNDLE_FILE } from '../../core/tls/ca-bundle.js';
import { agentSandboxBinary, SandboxError, type SandboxSpec, startSandboxedAgent } from '../../core/isolation/agent-sandbox.js';
import { describeSandbox, formatReport, unsandboxedReport } from '../../core/isolation/sandbox-report.js';
import { agentEnvironment, NON_COMPLIANT } from '../../core/isolation/agent-environment.js';
import { type AgentKit, createAgentKit } from '../../core/isolation/agent-kit.js';
import { type AgentUser, lookupAgentUser } from '../../core/isolation/agent-user.js';
import { ancestorsOf, leadsToHidden, ownCodePaths, resolveHidden } from '../../core/isolation/hidden-paths.js';
import { PROJECT_ROOT } from '../../project-root.js';
import { configDirs } from '../../gateway/grpc/gateway-config.js';

export const runCommand: Command = {
  path: ['run'],
  usage: 'run [--state-dir DIR] [--isolate] [--user NAME] [--hide PATH]... [--read-only PATH]... [core flags] -- CMD ARGS...',
  summary:
    "Run an agent through the core (the running one for the state dir, or one started in-process), kept there by the kernel. Exits with the agent's exit code.",
  flags: {
    ...CORE_FLAGS,
    isolate: {
      type: 'boolean',
      description:
        'Linux, root: run the agent in a network namespace whose only reachable address is the proxy, as an unprivileged user without capabilities',
    },
    user: { type: 'string', value: 'NAME', description: 'Run the agent as this user (root only; --isolate as root defaults to nobody)' },
    hide: {
      type: 'string',
      multiple: true,
      value: 'PATH',
      description: 'Also keep the agent out of PATH (the state dir and the OpenShell CLI config with its gateway credentials always are)',
    },
    'read-only': {
      type: 'string',
      multiple: true,
      value: 'PATH',
      description: "Let the agent read but not change PATH (openshell-term's own files always are), e.g. ~/.bashrc",
    },
    'allow-unix-sockets': {
      type: 'boolean',
      description: 'Let the agent make UNIX sockets (by default it cannot: they reach your tmux, ssh-agent and D-Bus)',
    },
  },
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError('give the command to run after --, e.g. run -- curl https://pypi.org/simple/');
    const dir = stateDirOf(args, io.env);
    const isolate = Boolean(args.flags.isolate);
    const unavailable = isolate ? isolationUnavailable() : undefined;
    if (unavailable) throw new UsageError(unavailable);
    const root = process.getuid?.() === 0;
    const userName = (args.flags.user as string | undefined) ?? (isolate && root ? 'nobody' : undefined);
    if (userName !== undefined && !root) throw new UsageError('--user needs root (it switches the agent to another uid)');
    const binary = agentSandboxBinary(io.env);
    if (isolate && !binary)
      throw new UsageError(
        '--isolate needs the agent-sandbox helper (native/agent-sandbox), which is not built here: without it the agent would keep root and its capabilities; build it with `npm run build:native` (needs a C compiler)',
      );
    // A path the operator names but that is not there would protect nothing (and the agent could create it).
    for (const flag of ['hide', 'read-only'] as const) {
      for (const path of (args.flags[flag] as string[] | undefined) ?? []) {
        if (!existsSync(path)) throw new UsageError(`--${flag} ${path}: no such file or directory`);
      }
    }
    const user = userName === undefined ? undefined : await lookupAgentUser(userName);
    if (userName !== undefined && !user) throw new UsageError(`--user: no user '${userName}'`);

    const session = new RunSession(io);
    try {
      return await session.start(args, { dir, isolate, user, binary });
    } finally {
      await session.close();
    }
  },
};

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

interface RunPlan {
  dir: string;
  isolate: boolean;
  user?: AgentUser;
  binary?: string;
}

/** Everything one `run` sets up, torn down in reverse whatever happens. */
class RunSession {
  private embedded?: Standalone;
  private feed?: FeedClient;
  private network?: IsolatedNetwork;
  private kit?: AgentKit;

  constructor(private readonly io: CommandIO) {}

  async start(args: Parameters<Command['run']>[0], plan: RunPlan): Promise<number> {
    const { io } = this;
    const { dir } = plan;
    // Only a core that is alive and owns the port core.json names (never an impostor on a dead core's port).
    const running = await runningCore(dir);
    let proxy: string;
    let token: string | undefined;
    if (running.running && running.info.pid !== process.pid) {
      proxy = running.info.proxy;
      token = await readToken(dir);
      io.stderr.write(`openshell-term: using the core already running for ${dir} (proxy ${proxy})\n`);
    } else {
      const options = standaloneOptions(args, io.env);
      this.embedded = await startStandalone({ ...options, proxyListen: options.proxyListen ?? '127.0.0.1:0' });
      proxy = this.embedded.proxyAddress;
      token = this.embedded.token;
      io.stderr.write(
        `openshell-term: started a core for ${dir} (proxy ${proxy}); decide requests with: openshell-term requests --state-dir ${dir}\n`,
      );
    }
    const external = this.embedded || !running.running ? undefined : { dir, ws: running.info.ws, token };

    if (plan.isolate) {
      this.network = await createIsolatedNetwork();
      const host = this.network.hostAddress;
      // The core itself listens on the namespace's host side: the agent's connection reaches it directly,
      // so binary identity sees the agent, not a relay.
      const at = this.embedded
        ? await this.embedded.proxy.listen(host, 0)
        : await (await this.feedOf(external!)).command<{ port: number }>({ type: 'proxy.listen', host });
      proxy = `${host}:${at.port}`;
      io.stderr.write(
        `openshell-term: isolated in network namespace ${this.network.name}; the only reachable address is the proxy (${proxy})\n`,
      );
    }

    // What the agent may not touch: the state dir, the gateway API's key files, the OpenShell CLI's gateway
    // credentials (mTLS keys, OIDC tokens: the operator's, not the agent's), and whatever the operator adds.
    const tls = this.embedded ? standaloneOptions(args, io.env).grpcTls : undefined;
    const gateways = configDirs(io.env);
    const hidden = resolveHidden([
      dir,
      ...((args.flags.hide as string[] | undefined) ?? []),
      ...(tls ? [tls.key, tls.cert] : []),
      ...[gateways.user, gateways.system].filter((d): d is string => d !== undefined),
    ]);
    // openshell-term's own code: an agent that could rewrite it would run as the operator at the next command.
    const readOnly = [...ownCodePaths(PROJECT_ROOT), ...resolveHidden((args.flags['read-only'] as string[] | undefined) ?? [])].filter(
      (path) => !hidden.includes(path),
    );
    const rootAgent = process.getuid?.() === 0 && !plan.user;
    const privateTmp = Boolean(plan.binary) && (leadsToHidden(tmpdir(), hidden) || Boolean(plan.user));
    const bundle = join(dir, CA_BUNDLE_FILE);
    this.kit = await createAgentKit({
      caBundleSource: existsSync(bundle) ? bundle : undefined,
      proxyUrl: `http://${proxy}`,
      owner: plan.user,
      privateTmp,
      privateHome: Boolean(plan.user && !plan.user.homeUsable),
      rootWithoutCapabilities: rootAgent && Boolean(plan.binary),
    });
    const { env, dropped } = agentEnvironment({
      base: io.env,
      proxy,
      secrets: token ? [token] : [],
      kit: this.kit,
      user: plan.user && { name: plan.user.name, home: this.kit.home ?? plan.user.home },
    });

    const [cmd, ...rest] = args.positionals;
    const context = { stateDir: dir, proxyPort: portOf(proxy), isolated: plan.isolate, operatorUid: process.getuid?.() ?? -1 };
    let child: ChildProcess;
    let pid: number | undefined;
    let go = () => {};
    if (plan.binary) {
      const spec: SandboxSpec = {
        hide: hidden,
        readOnly,
        connectPorts: [portOf(proxy)],
        user: plan.user?.name,
        dropCaps: rootAgent || Boolean(plan.user),
        netns: this.network?.path,
        allowUnixSockets: Boolean(args.flags['allow-unix-sockets']),
        abiMax: abiMaxOf(io.env),
      };
      try {
        const agent = await startSandboxedAgent(plan.binary, spec, [cmd, ...rest], { env });
        ({ child, pid, go } = agent);
        io.stderr.write(formatReport(describeSandbox(agent.status, spec, context)));
      } catch (error) {
        if (!(error instanceof SandboxError)) throw error;
        io.stderr.write(`openshell-term: ${error.message}\n`);
        return 126;
      }
    } else {
      io.stderr.write(formatReport(unsandboxedReport(context, 'the agent-sandbox helper is not built (native/agent-sandbox)')));
      child = spawn(cmd, rest, { stdio: 'inherit', env });
      pid = child.pid;
    }
    this.notices([...hidden, ...readOnly], dropped, plan, Boolean(plan.binary));

    // The core learns the agent's pid before the agent runs a single instruction of its own.
    if (pid) {
      if (this.embedded) this.embedded.agentPids.add(pid);
      else
        await (await this.feedOf(external!))
          .command({ type: 'agent.register', pid })
          .catch((error: Error) =>
            io.stderr.write(
              `openshell-term: the core did not take the agent's pid (${error.message}); binary identity searches every process\n`,
            ),
          );
    }
    go();

    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    try {
      return await new Promise<number>((resolve) => {
        child.once('error', (error) => {
          io.stderr.write(`openshell-term: cannot run ${cmd}: ${(error as NodeJS.ErrnoException).code ?? error.message}\n`);
          resolve(127);
        });
        // A shell's convention: 128 + the signal's number when the agent was killed by one.
        child.once('exit', (status, signal) => resolve(status ?? (signal ? 128 + (constants.signals[signal] ?? 15) : 1)));
      });
    } finally {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
    }
  }

  /** What the operator should know besides the sandbox itself. */
  private notices(hidden: string[], dropped: string[], plan: RunPlan, sandboxed: boolean) {
    const { io } = this;
    if (dropped.length > 0) io.stderr.write(`openshell-term: not passed to the agent (operator credentials): ${dropped.join(', ')}\n`);
    if (sandboxed) {
      const ancestors = ancestorsOf(hidden);
      if (ancestors.length > 0)
        io.stderr.write(
          `openshell-term: the agent can use everything in ${ancestors.join(', ')} but cannot create, rename or remove entries directly there (they lead to hidden or read-only paths)${this.kit?.tmp ? `; its TMPDIR is ${this.kit.tmp}` : ''}\n`,
        );
    }
    const consequence = plan.isolate
      ? 'inside the namespace they reach nothing but the proxy'
      : sandboxed
        ? 'TCP is limited to the proxy port, so they fail rather than go around it (UDP is not covered); use --isolate to confine them fully'
        : 'they connect directly; use --isolate';
    io.stderr.write(`openshell-term: not made to use the proxy or trust its CA by run: ${NON_COMPLIANT.join('; ')} — ${consequence}\n`);
  }

  private async feedOf(external: { dir: string }): Promise<FeedClient> {
    if (this.feed) return this.feed;
    // Through the liveness check: the token goes only to the core that owns the feed's port.
    this.feed = (await FeedClient.connectToCore(external.dir)).client;
    return this.feed;
  }

  async close() {
    this.feed?.close();
    await this.kit?.remove();
    await this.embedded?.stop();
    await this.network?.destroy();
  }
}

/** OPENSHELL_TERM_LANDLOCK_ABI_MAX=N: write the rules for at most ABI N (to see and test what an older kernel gets). */
function abiMaxOf(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.OPENSHELL_TERM_LANDLOCK_ABI_MAX;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`OPENSHELL_TERM_LANDLOCK_ABI_MAX expects a whole number ≥ 0, got '${raw}'`);
  return n;
}
