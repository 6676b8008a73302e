// The `:` commands, as data: name, arguments, what each does, what its arguments complete to. The help,
// the README, Tab completion and the "unknown command" error all read this one list; the reducer runs
// them (a name missing from its switch is a type error).
import { closest } from '../../core/text/did-you-mean.js';
import { TIERS } from '../../core/presets/tiers.js';
import { LOG_KINDS } from '../../core/engine/log-buffer.js';
import type { Need } from './commands.js';

export type ColonName =
  | 'q'
  | 'approve'
  | 'reject'
  | 'undo'
  | 'preset'
  | 'tier'
  | 'rev'
  | 'level'
  | 'source'
  | 'kind'
  | 'theme'
  | 'help'
  | 'creds';

/** Where an argument's completions come from: fixed words, or what the console currently knows. */
export type Completion = readonly string[] | 'requests' | 'presets' | 'sources' | 'providers';

export interface ColonSpec {
  aliases?: readonly string[];
  /** Arguments as written in usage and help. */
  args: string;
  description: string;
  complete?: readonly Completion[];
  needs?: Need;
}

export const COLON_COMMANDS = {
  q: { aliases: ['quit'], args: '', description: 'Quit' },
  approve: { args: 'ID [session|once|10m]', description: 'Approve a request by id', complete: ['requests', ['session', 'once', '10m']] },
  reject: { args: 'ID [reason]', description: 'Reject a request by id, with a reason the agent sees', complete: ['requests'] },
  undo: { args: 'ID', description: 'Undo the decision on a request', complete: ['requests'] },
  preset: {
    args: 'add|remove NAME',
    description: 'Apply or un-apply a preset',
    complete: [['add', 'remove'], 'presets'],
    needs: 'presets',
  },
  tier: {
    args: TIERS.map((t) => t.name).join('|'),
    description: 'Apply a tier of built-in presets',
    complete: [TIERS.map((t) => t.name)],
    needs: 'tiers',
  },
  rev: { aliases: ['diff'], args: 'N', description: 'Compare revision N with the current policy' },
  level: { args: 'all|info|warn|error', description: 'Logs: show this level and above', complete: [['all', 'info', 'warn', 'error']] },
  source: { args: 'NAME|all', description: 'Logs: show one source', complete: ['sources'] },
  kind: { args: `${LOG_KINDS.join('|')}|all`, description: 'Logs: show one kind of event', complete: [[...LOG_KINDS, 'all']] },
  theme: { args: 'light|dark|auto', description: 'Switch the colour theme', complete: [['light', 'dark', 'auto']] },
  help: { args: '', description: 'Show the keys' },
  creds: {
    args: 'NAME',
    description: "Dashboard: a provider's type and credential names with their expiry (never values)",
    complete: ['providers'],
    needs: 'providers',
  },
} as const satisfies Record<ColonName, ColonSpec>;

const SPECS: Record<ColonName, ColonSpec> = COLON_COMMANDS;
export const COLON_NAMES = Object.keys(COLON_COMMANDS) as ColonName[];

/** `:name args` as written in help and errors. */
export const colonUsage = (name: ColonName) => `:${name}${SPECS[name].args ? ` ${SPECS[name].args}` : ''}`;

export function colonSpec(name: ColonName): ColonSpec {
  return SPECS[name];
}

/** The command a word names (its name or an alias). */
export function colonByWord(word: string): ColonName | undefined {
  return COLON_NAMES.find((n) => n === word || (SPECS[n].aliases ?? []).includes(word));
}

/** The error for a word that names no command: the closest one, and every real one. */
export function unknownColon(word: string): string {
  const words = COLON_NAMES.flatMap((n) => [n, ...(SPECS[n].aliases ?? [])]);
  const near = closest(word, words);
  return `unknown command ':${word}'${near ? ` (did you mean :${near}?)` : ''}; commands: ${COLON_NAMES.map(colonUsage).join(', ')}`;
}

export interface CompletionSources {
  requests: readonly string[];
  presets: readonly string[];
  sources: readonly string[];
  providers: readonly string[];
}

export interface Completed {
  /** The line after completion. */
  value: string;
  /** When several candidates remain: them, to show. */
  candidates?: string[];
}

/** Tab in the command prompt: completes the word under the cursor (the last one) from the command list or its argument's source. */
export function completeColon(line: string, sources: CompletionSources): Completed {
  const words = line.split(' ');
  const current = words.at(-1) ?? '';
  let pool: readonly string[];
  if (words.length === 1) pool = COLON_NAMES.flatMap((n) => [n, ...(SPECS[n].aliases ?? [])]);
  else {
    const name = colonByWord(words[0]);
    const source = name ? SPECS[name].complete?.[words.length - 2] : undefined;
    pool = source === undefined ? [] : typeof source === 'string' ? sources[source as keyof CompletionSources] : source;
  }
  const matches = [...new Set(pool.filter((c) => c.startsWith(current)))].sort();
  if (matches.length === 0) return { value: line };
  const prefix = words.slice(0, -1).join(' ') + (words.length > 1 ? ' ' : '');
  if (matches.length === 1) return { value: `${prefix}${matches[0]} ` };
  let common = matches[0];
  for (const m of matches) while (!m.startsWith(common)) common = common.slice(0, -1);
  return { value: `${prefix}${common}`, candidates: matches };
}
