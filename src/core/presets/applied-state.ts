// Which presets are applied, in application order, persisted in <stateDir>/applied-presets.json. Each
// entry keeps the document as it was applied (as NemoClaw's registry keeps custom presets' content), so
// a custom preset stays in force, and can be removed, after its file is deleted or edited.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePolicyText } from '../policy/source.js';
import type { PresetDocument } from '../policy/types.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { PresetError, type PresetProblem } from './preset-error.js';
import { presetYaml } from './preset-yaml.js';

export const APPLIED_FILE = 'applied-presets.json';
const FORMAT_VERSION = 1;

export type PresetSource = 'builtin' | 'custom';

export interface AppliedEntry {
  name: string;
  source: PresetSource;
  /** The document as applied. */
  preset: PresetDocument;
}

export interface AppliedState {
  entries: AppliedEntry[];
  problems: PresetProblem[];
}

/**
 * Reads the applied list. A missing file is an empty list. An entry that no longer validates is reported
 * and dropped (failing closed: it grants nothing); a file that is not ours at all is an error, because
 * carrying on would overwrite it at the next change.
 */
export async function readAppliedState(stateDir: string): Promise<AppliedState> {
  const file = join(stateDir, APPLIED_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], problems: [] };
    throw new PresetError('io', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, [], {
      cause: error,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PresetError(
      'invalid',
      `${file}: not valid JSON (${(error as Error).message}); fix or remove it to reset the applied presets`,
    );
  }
  const record = data as { version?: unknown; applied?: unknown };
  if (typeof data !== 'object' || data === null || record.version !== FORMAT_VERSION || !Array.isArray(record.applied)) {
    throw new PresetError(
      'invalid',
      `${file}: expected {"version": ${FORMAT_VERSION}, "applied": [...]}; fix or remove it to reset the applied presets`,
    );
  }
  const entries: AppliedEntry[] = [];
  const problems: PresetProblem[] = [];
  record.applied.forEach((raw: unknown, i: number) => {
    const where = `${file}: applied[${i}]`;
    const entry = raw as Partial<AppliedEntry> | null;
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof entry.name !== 'string' ||
      (entry.source !== 'builtin' && entry.source !== 'custom')
    ) {
      problems.push({ file, message: `${where}: expected {name, source, preset}; dropped` });
      return;
    }
    if (entries.some((e) => e.name === entry.name)) {
      problems.push({ file, message: `${where}: '${entry.name}' is listed twice; the later entry is dropped` });
      return;
    }
    const checked = checkDocument(entry.preset, entry.name, file);
    if (typeof checked === 'string') {
      problems.push({ file, message: `${where} ('${entry.name}'): ${checked}; dropped` });
      return;
    }
    entries.push({ name: entry.name, source: entry.source, preset: checked });
  });
  return { entries, problems };
}

export async function writeAppliedState(stateDir: string, entries: readonly AppliedEntry[]): Promise<void> {
  const body = { version: FORMAT_VERSION, applied: entries };
  await writeFileAtomic(join(stateDir, APPLIED_FILE), `${JSON.stringify(body, null, 2)}\n`);
}

/**
 * Runs the stored document back through the policy loader (the file is on disk, so it is input like any
 * other). Returns the loader's normalised document, or what is wrong with it.
 */
function checkDocument(preset: unknown, name: string, file: string): PresetDocument | string {
  if (typeof preset !== 'object' || preset === null) return 'no preset document';
  const doc = preset as PresetDocument;
  if (doc.preset?.name !== name) return `document names '${String(doc.preset?.name)}'`;
  let loaded: ReturnType<typeof parsePolicyText>;
  try {
    loaded = parsePolicyText(presetYaml(doc), file, 'preset');
  } catch (error) {
    return `unreadable document (${(error as Error).message})`;
  }
  if (loaded.errors.length > 0 || loaded.document?.kind !== 'preset') return loaded.errors.map((e) => e.message).join('; ');
  return loaded.document.preset;
}
