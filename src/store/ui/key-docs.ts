// The README's key table, generated from the command registry (as the nav bar and the help are), and the
// splice that puts it between its markers. `node --import tsx scripts/readme-keys.ts` rewrites README.md;
// a test fails while the README differs from what this generates.
import { COLON_NAMES, colonSpec, colonUsage } from './colon-commands.js';
import { CATEGORIES, type Category, COMMAND_IDS, labelsOf, specOf } from './commands.js';
import { MODES, type Mode } from './ui-state.js';

export const KEYS_BEGIN = '<!-- keys:begin — generated from src/store/ui/commands.ts by scripts/readme-keys.ts; do not edit -->';
export const KEYS_END = '<!-- keys:end -->';

const MODE_NAMES: Record<Exclude<Mode, 'normal'>, string> = {
  detail: 'detail',
  prompt: 'prompts',
  confirm: 'confirm',
  promote: 'promote form',
  edit: 'edit form',
  help: 'help',
};

/** A cell's text: a pipe would end the cell, even inside a code span (GFM). */
const cell = (text: string) => text.replace(/\|/g, '\\|');
const code = (labels: string[]) => labels.map((l) => `\`${cell(l)}\``).join(' ');

function where(modes: Mode[], screens: readonly string[] | undefined): string {
  return modes.map((m) => (m === 'normal' ? (screens ? screens.join(', ') : 'everywhere') : MODE_NAMES[m])).join('; ');
}

/** One row per command: its keys (per mode when they differ), where it works, what it does. */
export function keyTableMarkdown(): string {
  const rows: string[] = ['| | Keys | Where | What it does |', '|---|---|---|---|'];
  let last: Category | undefined;
  const ids = [...COMMAND_IDS].sort(
    (a, b) => Object.keys(CATEGORIES).indexOf(specOf(a).category) - Object.keys(CATEGORIES).indexOf(specOf(b).category),
  );
  for (const id of ids) {
    const spec = specOf(id);
    const modes = MODES.filter((m) => spec.keys[m]);
    const groups = new Map<string, Mode[]>();
    for (const m of modes) groups.set(code(labelsOf(id, m)), [...(groups.get(code(labelsOf(id, m))) ?? []), m]);
    const keys =
      groups.size === 1
        ? [...groups.keys()][0]
        : [...groups].map(([k, ms]) => `${k} (${where(ms, undefined).replace('everywhere', 'screens')})`).join('; ');
    const place = groups.size === 1 ? where(modes, spec.screens) : spec.screens ? spec.screens.join(', ') : '';
    const needs = spec.needs ? ` *(needs ${spec.needs})*` : '';
    rows.push(
      `| ${spec.category === last ? '' : `**${CATEGORIES[spec.category]}**`} | ${keys} | ${place} | ${cell(spec.description)}${needs} |`,
    );
    last = spec.category;
  }
  const commands = [
    '| Command | What it does |',
    '|---|---|',
    ...COLON_NAMES.map((n) => `| \`${cell(colonUsage(n))}\` | ${cell(colonSpec(n).description)} |`),
  ];
  return `${rows.join('\n')}\n\n${commands.join('\n')}\n`;
}

/** The README with the generated table between its markers (which must both be there). */
export function spliceKeyTable(readme: string, table = keyTableMarkdown()): string {
  const begin = readme.indexOf(KEYS_BEGIN);
  const end = readme.indexOf(KEYS_END);
  if (begin < 0 || end < begin) throw new Error(`README.md needs the markers ${KEYS_BEGIN} and ${KEYS_END}`);
  return `${readme.slice(0, begin + KEYS_BEGIN.length)}\n${table}${readme.slice(end)}`;
}
