// The default command: the operator console, standalone (an embedded core in this process).
import type { Command } from '../command.js';
import { CORE_FLAGS, standaloneOptions } from './core-flags.js';
import { startStandalone } from '../../gateway/embedded/standalone.js';
import { EmbeddedGateway } from '../../gateway/embedded/embedded-gateway.js';
import { VERSION } from '../version.js';
import { loadInteractive } from '../../console/load-interactive.js';

export const consoleCommand: Command = {
  path: [],
  usage: '[console] [--theme dark|light|auto] [--bell] [core flags]',
  summary: 'Open the operator console (the default): an embedded core plus the inbox where you decide every request.',
  flags: {
    ...CORE_FLAGS,
    theme: { type: 'string', value: 'NAME', description: 'dark, light or auto (default: $OPENSHELL_TERM_THEME, else auto); NO_COLOR is honoured' },
    bell: { type: 'boolean', description: 'Ring the terminal bell on each new pending request' },
  },
  async run(args, io) {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      io.stderr.write('openshell-term: the console needs an interactive terminal. For scripts use `openshell-term core` and the requests/approve commands; see --help.\n');
      return 1;
    }
    const standalone = await startStandalone(standaloneOptions(args, io.env));
    const { runConsole } = await loadInteractive(() => import('../../console/run-console.js'));
    await runConsole(new EmbeddedGateway(standalone, VERSION), { theme: args.flags.theme as string | undefined, bell: Boolean(args.flags.bell) });
    return 0;
  },
};
