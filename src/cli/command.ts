// The shape every subcommand shares: its flags (fed to node:util parseArgs), its help text, and its run function.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from '../core/text/did-you-mean.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** Placeholder shown in help, e.g. FILE. */
  value?: string;
  description: string;
}

export interface CommandIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export interface ParsedArgs {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export interface Command {
  /** Words that select the command, e.g. ['policy', 'check']. */
  path: string[];
  usage: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  allowPositionals?: boolean;
  run(args: ParsedArgs, io: CommandIO): Promise<number>;
}

export { EXIT_USAGE } from './exit-codes.js';

export class UsageError extends Error {}

export function parseCommandArgs(command: Command, argv: string[]): ParsedArgs {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries(command.flags)) {
    options[name] = { type: spec.type, multiple: spec.multiple ?? false, ...(spec.short ? { short: spec.short } : {}) };
  }
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: command.allowPositionals ?? false,
    });
    return { flags: values as ParsedArgs['flags'], positionals };
  } catch (error) {
    throw new UsageError(explainParseError(command, error as Error));
  }
}

function explainParseError(command: Command, error: Error): string {
  const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(error.message);
  if (unknown) {
    const known = Object.keys(command.flags).map((name) => `--${name}`);
    return `unknown flag ${unknown[1]}${didYouMean(unknown[1], known)}`;
  }
  const positional = /Unexpected argument '([^']+)'/.exec(error.message);
  if (positional) return `unexpected argument '${positional[1]}'`;
  return error.message.replace(/\. To specify .*$/s, '');
}

export function formatCommandHelp(command: Command): string {
  const lines = [`Usage: openshell-term ${command.usage}`, '', command.summary];
  const entries = Object.entries(command.flags);
  if (entries.length > 0) {
    lines.push('', 'Flags:');
    const rendered = entries.map(([name, spec]) => {
      const short = spec.short ? `-${spec.short}, ` : '    ';
      const value = spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : '';
      return [`  ${short}--${name}${value}`, spec.description + (spec.multiple ? ' (repeatable)' : '')];
    });
    rendered.push(['      --help', 'Show this help']);
    const width = Math.max(...rendered.map(([left]) => left.length)) + 2;
    for (const [left, right] of rendered) lines.push(left.padEnd(width) + right);
  }
  return `${lines.join('\n')}\n`;
}

export function requireString(args: ParsedArgs, name: string): string {
  const value = args.flags[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function stringList(args: ParsedArgs, name: string): string[] {
  const value = args.flags[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [String(value)];
}
