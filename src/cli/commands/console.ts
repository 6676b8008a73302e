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

export const consoleCommand: Command = {
  path: [],
  usage: '[console] [--endpoint URL | --gateway NAME] [--theme dark|light|auto] [--bell] [core flags]',
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
  },
  async run(args, io) {
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
    if (remoteOnly) {
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
      for (const entry of listGateways(io.env)) {
        if (entry.name === embedded.info.name) continue;
        choices.push({
          ...remoteChoice(entry.name, entry.endpoint, () => resolveConnection({ gateway: entry.name }, io.env, local)),
          problem: entry.problem,
        });
      }
    }
    const { runConsole, bellOnNewRequests } = await loadInteractive(() => import('../../console/run-console.js'));
    const initial = io.env.OPENSHELL_GATEWAY ?? choices[0].info.name;
    const pool = new GatewayPool(choices, initial, bellOnNewRequests(Boolean(args.flags.bell)));
    await runConsole(pool, { theme: args.flags.theme as string | undefined });
    return 0;
  },
};
