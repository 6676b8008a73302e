// `core`: the embedded enforcement core, headless, until SIGINT/SIGTERM (held requests are then denied).
import type { Command } from '../command.js';
import { CORE_FLAGS, standaloneOptions } from './core-flags.js';
import { sanitizeForTerminal } from '../../core/text/sanitize.js';

export const coreCommand: Command = {
  path: ['core'],
  usage:
    'core [--state-dir DIR] [--policy FILE] [--proxy-listen H:P] [--hold-timeout S] [--max-pending N] [--audit-required] [--resolve HOST:IP]... [--allow-loopback] [--ws-listen H:P] [--grpc-listen H:P [--sandbox NAME]]',
  summary: 'Run the embedded enforcement core headless: a default-deny egress proxy whose unknown requests wait for an operator.',
  flags: CORE_FLAGS,
  async run(args, io) {
    // Imported here, not at the top: every other command starts without loading the core (cli.ts imports this module).
    const { startStandalone } = await import('../../gateway/embedded/standalone.js');
    const running = await startStandalone(standaloneOptions(args, io.env));
    const print = (line: { time: number; level: string; source: string; message: string }) =>
      io.stdout.write(
        `${new Date(line.time).toISOString()} ${line.level.padEnd(5)} ${line.source}: ${sanitizeForTerminal(line.message)}\n`,
      );
    running.core.logs.since(0).forEach(print);
    running.core.on('log', print);
    running.core.on('request.pending', (r) =>
      print({ time: Date.now(), level: 'info', source: 'inbox', message: `pending ${r.id} ${r.host}:${r.port} from ${r.binary}` }),
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.stdout.write('shutting down: denying held requests\n');
    await running.stop();
    return 0;
  },
};
