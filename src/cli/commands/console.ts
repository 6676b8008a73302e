// The default command: the operator console. Standalone (an embedded core in this process) plus every
// gateway discovered in the OpenShell CLI's config, switchable from the dashboard; or, with --endpoint
// or --gateway, attached to that one gateway only (no embedded core, no proxy port taken).
import type { Command } from '../command.js';
import { CORE_FLAGS, standaloneOptions, stateDirOf } from './core-flags.js';
import { VERSION } from '../../gateway/version.js';
import { loadInteractive } from '../../console/load-interactive.js';
import type { GatewayChoice } from '../../store/gateway-pool.js';
import type { ConnectionTarget } from '../../gateway/grpc/connection-target.js';
import type { PresetStore } from '../../core/presets/preset-store.js';
import { ensureStateDir } from '../../core/state/state-dir.js';
import { GATEWAY_FLAGS } from './gateway-flags.js';
import { attachToRunningCore } from './attach-core.js';
import { notifier, type NotifyOptions, parseNotifyCommand } from '../../console/notify.js';
import { UsageError } from '../command.js';

/** --bell, --notify, --notify-cmd as notifier options; a wrong --notify is a usage error. */
function notifyOptions(flags: Record<string, unknown>): NotifyOptions {
  const desktop = flags.notify as string | undefined;
  if (desktop !== undefined && desktop !== 'osc9' && desktop !== 'osc777')
    throw new UsageError(`--notify expects osc9 or osc777, got '${desktop}'`);
  const command = flags['notify-cmd'] as string | undefined;
  if (command !== undefined && command.trim() === '')
    throw new UsageError('--notify-cmd needs a command (its words are the argv; no shell)');
  return { bell: Boolean(flags.bell), desktop, command: command === undefined ? undefined : parseNotifyCommand(command) };
}

export const consoleCommand: Command = {
  path: [],
  usage:
    '[console] [--endpoint URL | --gateway NAME] [--theme dark|light|auto] [--bell] [--notify osc9|osc777] [--notify-cmd CMD] [core flags]',
  summary: 'Open the operator console (the default): an embedded core plus the inbox where you decide every request.',
  flags: {
    ...CORE_FLAGS,
    ...GATEWAY_FLAGS,
    theme: {
      type: 'string',
      value: 'NAME',
      description: 'dark, light or auto (default: $OPENSHELL_TERM_THEME, else auto); NO_COLOR is honoured',
    },
    bell: { type: 'boolean', description: 'Ring the terminal bell on each new pending request' },
    notify: {
      type: 'string',
      value: 'osc9|osc777',
      description:
        'Desktop notification through the terminal on each new pending request (OSC 9: iTerm2, kitty, WezTerm, Windows Terminal; OSC 777: VTE, urxvt)',
    },
    'notify-cmd': {
      type: 'string',
      value: 'CMD',
      description:
        'Run CMD on each new pending request (its words are the argv, no shell; the request in OPENSHELL_REQUEST_* variables); rate-limited',
    },
  },
  async run(args, io) {
    // Checked before anything starts: a wrong flag is an error, not a core started for nothing.
    const notifying = notifyOptions(args.flags);
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      io.stderr.write(
        'openshell-term: the console needs an interactive terminal. For scripts use `openshell-term core` and the requests/approve commands; see --help.\n',
      );
      return 1;
    }
    const remoteOnly = args.flags.endpoint !== undefined || args.flags.gateway !== undefined;
    const [{ resolveConnection }, { listGateways }, { GrpcGateway }, { connectionOf, OpenShellRpc }, { GatewayPool }] = await Promise.all([
      import('../../gateway/grpc/connection-target.js'),
      import('../../gateway/grpc/gateway-config.js'),
      import('../../gateway/grpc/grpc-gateway.js'),
      import('../../gateway/grpc/openshell-client.js'),
      import('../../store/gateway-pool.js'),
    ]);
    const { workspaceOf } = await import('../../gateway/grpc/connection-target.js');
    const workspace = workspaceOf(args.flags.workspace as string | undefined, io.env);
    const local = { stateDir: stateDirOf(args, io.env) };
    const remoteChoice = (name: string, endpoint: string, target: () => ConnectionTarget): GatewayChoice => ({
      info: { name, mode: 'remote', endpoint, version: '' },
      open: () => new GrpcGateway({ rpc: new OpenShellRpc(connectionOf(target())), presets, workspace }),
    });
    // Preset files are local whichever gateway they go to: the embedded core's own store when it runs
    // (so a promote on a gateway is listed there too), else the state dir's.
    let presets: PresetStore;
    const choices: GatewayChoice[] = [];
    let status: string | undefined;
    const attached = remoteOnly ? undefined : await attachToRunningCore(stateDirOf(args, io.env));
    if (attached) {
      // A core already runs for this state dir: be a second console on it, not a second core.
      const { PresetStore } = await import('../../core/presets/preset-store.js');
      presets = await PresetStore.open(stateDirOf(args, io.env));
      choices.push({ info: attached.gateway.info, open: () => attached.gateway });
      status = attached.status;
    } else if (remoteOnly) {
      const stateDir = stateDirOf(args, io.env);
      await ensureStateDir(stateDir);
      const { PresetStore } = await import('../../core/presets/preset-store.js');
      presets = await PresetStore.open(stateDir);
      // Resolved now: a wrong name, an expired token or a token over plaintext is an error before any screen.
      const target = resolveConnection(
        { endpoint: args.flags.endpoint as string | undefined, gateway: args.flags.gateway as string | undefined },
        io.env,
        local,
      );
      choices.push(remoteChoice(target.name, target.endpoint, () => target));
    } else {
      // The core loads here, not with this module: cli.ts imports every command, and the others need no core.
      const [{ startStandalone }, { EmbeddedGateway }] = await Promise.all([
        import('../../gateway/embedded/standalone.js'),
        import('../../gateway/embedded/embedded-gateway.js'),
      ]);
      const standalone = await startStandalone(standaloneOptions(args, io.env));
      presets = standalone.presetStore;
      const embedded = new EmbeddedGateway(standalone, VERSION);
      choices.push({ info: embedded.info, open: () => embedded });
    }
    // Beside the local core (embedded or attached): every gateway in the OpenShell CLI's config.
    if (!remoteOnly) {
      for (const entry of listGateways(io.env)) {
        if (entry.name === choices[0].info.name) continue;
        choices.push({
          ...remoteChoice(entry.name, entry.endpoint, () => resolveConnection({ gateway: entry.name }, io.env, local)),
          problem: entry.problem,
        });
      }
    }
    const { runConsole } = await loadInteractive(() => import('../../console/run-console.js'));
    const initial = io.env.OPENSHELL_GATEWAY ?? choices[0].info.name;
    // A notification that cannot be given (the command fails) is said on the logs screen, once.
    let problems = 0;
    const notify = notifier({
      ...notifying,
      onProblem: (message) =>
        pool
          .active()
          .store.getState()
          .apply([
            { type: 'log', line: { seq: -++problems, time: Date.now(), level: 'warn', source: 'console', message, kind: 'notice' } },
          ]),
    });
    const pool = new GatewayPool(choices, initial, notify);
    await runConsole(pool, { theme: args.flags.theme as string | undefined, status });
    return 0;
  },
};
