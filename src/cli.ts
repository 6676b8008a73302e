// Argument parsing and subcommand dispatch only; every command's work lives in src/cli/commands/.
import { EXIT_USAGE, formatCommandHelp, parseCommandArgs, UsageError, type Command, type CommandIO } from './cli/command.js';
import { policyCheck } from './cli/commands/policy-check.js';
import { policyEval } from './cli/commands/policy-eval.js';
import { policyExplain } from './cli/commands/policy-explain.js';
import { coreCommand } from './cli/commands/core.js';
import { runCommand } from './cli/commands/run.js';
import { walkthroughCommand } from './cli/commands/walkthrough.js';
import { presetAddCommand, presetListCommand, presetRemoveCommand, presetShowCommand } from './cli/commands/preset-commands.js';
import {
  approveAllCommand,
  approveCommand,
  policyGetCommand,
  policyRevisionsCommand,
  rejectCommand,
  requestsCommand,
  undoCommand,
} from './cli/commands/decision-commands.js';
import { promoteCommand } from './cli/commands/promote-command.js';
import { EXIT_CODES, EXIT_FAILED } from './cli/exit-codes.js';
import { GatewayError } from './gateway/errors.js';
import { PolicyLoadError } from './core/policy/source.js';
import { didYouMean } from './core/text/did-you-mean.js';
import { consoleCommand } from './cli/commands/console.js';
import { VERSION } from './gateway/version.js';

export const COMMANDS: Command[] = [
  consoleCommand,
  coreCommand,
  runCommand,
  walkthroughCommand,
  requestsCommand,
  approveCommand,
  rejectCommand,
  approveAllCommand,
  undoCommand,
  promoteCommand,
  presetListCommand,
  presetShowCommand,
  presetAddCommand,
  presetRemoveCommand,
  policyCheck,
  policyEval,
  policyExplain,
  policyGetCommand,
  policyRevisionsCommand,
];

function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length)) + 2;
  return [
    'openshell-term — the operator console for sandboxed AI agents',
    '',
    'Usage: openshell-term <command> [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}${c.summary.split('. ')[0].replace(/\.$/, '')}`),
    '',
    'With no command, openshell-term opens the console (standalone: an embedded core on 127.0.0.1:3128).',
    '',
    'Global flags:',
    '  --help, -h     Show help (also: openshell-term <command> --help)',
    '  --version      Print the version',
    '',
  ].join('\n');
}

/** Finds the command whose path is the longest prefix of argv. */
function findCommand(argv: string[]): { command?: Command; rest: string[]; group?: string } {
  let best: Command | undefined;
  for (const command of COMMANDS) {
    if (command.path.length === 0 && argv.length > 0 && !argv[0].startsWith('-')) continue;
    if (command.path.every((word, i) => argv[i] === word) && (!best || command.path.length > best.path.length)) best = command;
  }
  if (best) return { command: best, rest: argv.slice(best.path.length) };
  const group = COMMANDS.some((c) => c.path.length > 1 && c.path[0] === argv[0]) ? argv[0] : undefined;
  return { rest: argv, group };
}

export async function main(argv: string[], io: CommandIO = defaultIO()): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout.write(globalHelp());
    return 0;
  }
  // No command, or only flags, selects the console (the product's front door); `console` names it explicitly.
  if (argv[0] === 'console') argv = argv.slice(1);
  if (argv[0] === '--version') {
    io.stdout.write(`openshell-term ${VERSION}\n`);
    return 0;
  }
  const { command, rest, group } = findCommand(argv);
  if (!command) {
    if (group) {
      const subs = COMMANDS.filter((c) => c.path[0] === group);
      const wanted = argv[1];
      if (wanted === undefined || wanted === '--help' || wanted === '-h') {
        io.stdout.write(
          `Usage: openshell-term ${group} <subcommand>\n\n${subs.map((c) => `  ${c.usage}\n      ${c.summary}`).join('\n')}\n`,
        );
        return wanted === undefined ? EXIT_USAGE : 0;
      }
      io.stderr.write(
        `openshell-term: unknown subcommand '${group} ${wanted}'${didYouMean(
          wanted,
          subs.map((c) => c.path[1]),
        )}\n`,
      );
      io.stderr.write(`Run 'openshell-term ${group} --help' to see the subcommands.\n`);
      return EXIT_USAGE;
    }
    const names = [...new Set(COMMANDS.filter((c) => c.path.length > 0).map((c) => c.path[0]))];
    const word = argv[0];
    io.stderr.write(`openshell-term: unknown ${word.startsWith('-') ? 'flag' : 'command'} '${word}'${didYouMean(word, names)}\n`);
    io.stderr.write("Run 'openshell-term --help' to see the commands.\n");
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(formatCommandHelp(command));
    return 0;
  }
  try {
    const args = parseCommandArgs(command, rest);
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const name = ['openshell-term', ...command.path].join(' ');
      io.stderr.write(`${name}: ${error.message}\n`);
      io.stderr.write(`Run '${name} --help' for usage.\n`);
      return EXIT_USAGE;
    }
    if (error instanceof PolicyLoadError) {
      io.stderr.write(`${error.message}\n`);
      return 1;
    }
    io.stderr.write(`openshell-term: ${(error as Error).message}\n`);
    // Gateway errors keep their kind to the end: scripts branch on the exit code (README "Exit codes").
    return error instanceof GatewayError ? EXIT_CODES[error.code] : EXIT_FAILED;
  }
}

function defaultIO(): CommandIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}
