// The presets an operator can apply, and which ones are applied. Built-ins ship with the package; custom
// presets live in <stateDir>/presets/<name>.yaml; the applied list, in order and with each document as it
// was applied, lives in <stateDir>/applied-presets.json. Every change is written (atomically) before the
// in-memory state moves, and changes run one at a time, so the two never disagree.
import { constants, type Dirent } from 'node:fs';
import { lstat, mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { presetLayer, type PolicyLayer } from '../policy/layers.js';
import { isValidPresetName } from '../policy/preset-name.js';
import { formatProblem, parsePolicyText } from '../policy/source.js';
import type { PresetDocument } from '../policy/types.js';
import { didYouMean } from '../text/did-you-mean.js';
import { APPLIED_FILE, readAppliedState, writeAppliedState, type AppliedEntry, type PresetSource } from './applied-state.js';
import { cleanupTempFiles, writeFileAtomic } from '../fs/atomic-write.js';
import { syncDirectory } from '../fs/sync-directory.js';
import { BUILTIN_PRESETS_DIR } from './builtin-dir.js';
import { assertCustomPreset, type BuiltinIndex } from './custom-rules.js';
import { PresetError, type PresetProblem } from './preset-error.js';
import { PRESET_EXTENSION, readPresetFile } from './preset-file.js';
import { presetYaml } from './preset-yaml.js';
import { presetDiff } from './preset-diff.js';
import { mergePromoted } from './promote-merge.js';

export interface PresetInfo {
  name: string;
  description: string;
  source: PresetSource;
  file: string;
  applied: boolean;
}

export type AddResult = {
  name: string;
  /** The preset's file: the built-in, or the custom copy in the state directory (where it would go, on a dry run). */
  file: string;
  /** The preset's YAML as applied (or as it would be). */
  yaml: string;
  /** True when this call applied it; false on a dry run. */
  applied: boolean;
  dryRun: boolean;
  /** Loader warnings (FILE:LINE:COL lines); they do not stop the preset. */
  warnings?: string[];
};

interface LoadedPreset {
  name: string;
  source: PresetSource;
  file: string;
  text: string;
  document: PresetDocument;
  warnings: string[];
}

export const ON_EXISTING = ['merge', 'replace', 'refuse'] as const;
export type OnExisting = (typeof ON_EXISTING)[number];
export type SaveChange = 'created' | 'merged' | 'replaced' | 'unchanged';

export interface SaveCustomOptions {
  dryRun?: boolean;
  /** What to do when a custom preset of that name exists (default 'merge'). */
  onExisting?: OnExisting;
  /** A description the operator gave: it replaces the existing preset's on a merge. */
  description?: string;
}

export interface SaveCustomResult {
  file: string;
  /** The preset's YAML as written (or as it would be, on a dry run). */
  yaml: string;
  change: SaveChange;
  /** One sentence: what the save did to the preset. */
  summary: string;
  /** The file as it was, when there was one. */
  before?: string;
  /** Unified diff from `before` (or /dev/null) to `yaml`; empty when unchanged. */
  diff: string;
}

const CUSTOM_DIR = 'presets';
const NO_FOLLOW = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

export class PresetStore {
  private readonly builtins = new Map<string, LoadedPreset>();
  private readonly customs = new Map<string, LoadedPreset>();
  private entries: AppliedEntry[] = [];
  private readonly reported: PresetProblem[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly stateDir: string,
    readonly builtinDir: string,
  ) {}

  /** Loads built-ins, custom presets and the applied list. Bad preset files are reported by problems(), not thrown. */
  static async open(stateDir: string, builtinDir: string = BUILTIN_PRESETS_DIR): Promise<PresetStore> {
    const store = new PresetStore(resolve(stateDir), resolve(builtinDir));
    // A crash mid-write leaves at most a hidden temp file: remove it before reading the directory.
    await cleanupTempFiles(store.customDir()).catch(() => 0);
    await cleanupTempFiles(resolve(stateDir)).catch(() => 0);
    await store.loadBuiltins();
    await store.loadCustoms();
    await store.loadApplied();
    return store;
  }

  /** Files skipped while opening, and why. */
  problems(): readonly PresetProblem[] {
    return this.reported;
  }

  list(): PresetInfo[] {
    const applied = new Set(this.applied());
    const info = (p: LoadedPreset): PresetInfo => ({
      name: p.name,
      description: p.document.preset.description ?? '',
      source: p.source,
      file: p.file,
      applied: applied.has(p.name),
    });
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const customs = [...this.customs.values()].map(info);
    // A custom preset stays in force after its file is deleted; the operator still has to see it.
    for (const entry of this.entries) {
      if (entry.source === 'custom' && !this.customs.has(entry.name)) {
        customs.push({
          name: entry.name,
          description: entry.preset.preset.description ?? '',
          source: 'custom',
          file: this.customFile(entry.name),
          applied: true,
        });
      }
    }
    return [...[...this.builtins.values()].map(info).sort(byName), ...customs.sort(byName)];
  }

  get(name: string): PresetDocument | undefined {
    const doc = this.builtins.get(name)?.document ?? this.customs.get(name)?.document ?? this.entries.find((e) => e.name === name)?.preset;
    return doc && structuredClone(doc);
  }

  /** Names currently applied, in application order. */
  applied(): string[] {
    return this.entries.map((e) => e.name);
  }

  /** Apply a built-in or saved custom preset by name. Re-applying moves it last, so its entries win again. */
  add(name: string, opts: { dryRun?: boolean } = {}): Promise<AddResult> {
    return this.serial(async () => this.apply(await this.resolveByName(name), opts.dryRun ?? false));
  }

  /** Validate a preset file under NemoClaw's custom-preset rules, copy it into the state directory, and apply it. */
  addFromFile(file: string, opts: { dryRun?: boolean } = {}): Promise<AddResult> {
    return this.serial(() => this.addFileUnlocked(file, opts.dryRun ?? false));
  }

  /** Every non-hidden .yaml/.yml regular file in lexicographic order; stops at the first failure (already-applied ones stay). */
  addFromDir(dir: string, opts: { dryRun?: boolean } = {}): Promise<AddResult[]> {
    return this.serial(async () => {
      const files = await presetFilesIn(dir);
      const results: AddResult[] = [];
      for (const file of files) {
        try {
          results.push(await this.addFileUnlocked(file, opts.dryRun ?? false));
        } catch (error) {
          const rest = files.slice(files.indexOf(file) + 1).map((f) => basename(f));
          const cause = error as Error;
          const done = results.filter((r) => r.applied).map((r) => r.name);
          throw new PresetError(
            error instanceof PresetError ? error.code : 'io',
            `Aborting: ${file} failed${rest.length > 0 ? `; not applied: ${rest.join(', ')}` : ''}${done.length > 0 ? `; applied before it (they stay applied): ${done.join(', ')}` : ''}.\n${cause.message}`,
            error instanceof PresetError ? error.problems : [],
            { cause: error, applied: done },
          );
        }
      }
      return results;
    });
  }

  /** Un-apply; works even if the custom file is gone. deleteFile removes a custom preset's file too. */
  remove(name: string, opts: { dryRun?: boolean; deleteFile?: boolean } = {}): Promise<void> {
    return this.serial(async () => {
      const isApplied = this.entries.some((e) => e.name === name);
      if (opts.deleteFile && this.builtins.has(name)) {
        throw new PresetError('invalid', `'${name}' is a built-in preset; only custom preset files can be deleted`);
      }
      const hasFile =
        opts.deleteFile === true && isValidPresetName(name) && (this.customs.has(name) || (await exists(this.customFile(name))));
      if (!isApplied && !hasFile) {
        throw new PresetError('not-applied', `Preset '${name}' is not applied${didYouMean(name, this.applied())}`);
      }
      if (opts.dryRun) return;
      if (isApplied) await this.persist(this.entries.filter((e) => e.name !== name));
      if (hasFile) {
        await unlink(this.customFile(name)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw ioError(`Cannot delete ${this.customFile(name)}`, error);
        });
        await syncDirectory(this.customDir());
        this.customs.delete(name);
      }
    });
  }

  /**
   * Write a custom preset document (used by promote), atomically, mode 0600; refuses built-in names. Does
   * not apply it. When a preset of that name exists, `onExisting` says what happens: 'merge' (the default)
   * adds the document's one grant to it (mergePromoted: nothing is removed or widened for anyone else),
   * 'replace' overwrites it, 'refuse' throws a 'conflict' error. The result carries the YAML diff against
   * what was there; a dry run computes the same result and writes nothing.
   */
  saveCustom(doc: PresetDocument, opts: SaveCustomOptions = {}): Promise<SaveCustomResult> {
    return this.serial(async () => {
      const name = doc.preset?.name ?? '';
      if (!isValidPresetName(name)) throw new PresetError('invalid', `invalid preset name '${name}': use a lowercase RFC 1123 label`);
      const file = this.customFile(name);
      const existing = await this.existingCustom(name);
      const onExisting = opts.onExisting ?? 'merge';
      // Input from the feed or a gateway: anything but the three words is refused, never read as 'replace'.
      if (!ON_EXISTING.includes(onExisting)) {
        throw new PresetError('invalid', `unknown choice '${String(onExisting)}' for an existing preset: ${ON_EXISTING.join(', ')}`);
      }
      let next = doc;
      let change: SaveChange = 'created';
      let summary = `new preset '${name}'`;
      if (existing) {
        if (onExisting === 'refuse') {
          throw new PresetError(
            'conflict',
            `preset '${name}' already exists (${file}); merge into it (--if-exists merge) or replace it (--if-exists replace)`,
          );
        }
        if (onExisting === 'merge') {
          if (!existing.document) {
            throw new PresetError(
              'invalid',
              `preset '${name}' exists but cannot be read, so nothing was merged into it (fix the file, or --if-exists replace):\n${existing.problem}`,
            );
          }
          const merged = mergePromoted(existing.document, doc, opts.description);
          next = merged.doc;
          change = merged.change;
          summary = merged.summary;
        } else {
          change = 'replaced';
          summary = `preset '${name}' replaced`;
        }
      }
      const yaml = presetYaml(next);
      if (existing && yaml === existing.text) change = 'unchanged';
      const loaded = parsePolicyText(yaml, file, 'preset');
      if (loaded.errors.length > 0 || loaded.document?.kind !== 'preset') throw PresetError.fromProblems(loaded.errors);
      const document = loaded.document.preset;
      assertCustomPreset(document, file, loaded.positions, this.builtinIndex());
      if (!opts.dryRun && change !== 'unchanged') {
        await this.writeCustom(file, yaml);
        this.customs.set(name, { name, source: 'custom', file, text: yaml, document, warnings: loaded.warnings.map(formatProblem) });
      }
      return { file, yaml, change, summary, before: existing?.text, diff: presetDiff(file, existing?.text, yaml) };
    });
  }

  /**
   * The custom preset a save would land on: its file as it is now on disk (it may have been edited since
   * open), else the copy still applied after its file was deleted. A file that no longer loads comes back
   * with `problem` set: merging into it would silently drop what it held, replacing it is the operator's call.
   */
  private async existingCustom(name: string): Promise<{ document?: PresetDocument; text: string; problem?: string } | undefined> {
    const file = this.customFile(name);
    if (await exists(file)) {
      try {
        const loaded = await this.loadCustom(file);
        return { document: loaded.document, text: loaded.text };
      } catch (error) {
        // Shown in the diff only; never through a symlink (the same rule as reading a preset).
        const text = await readFile(file, { encoding: 'utf8', flag: NO_FOLLOW }).catch(() => '');
        return { text, problem: (error as Error).message };
      }
    }
    const applied = this.entries.find((e) => e.name === name && e.source === 'custom');
    return applied && { document: structuredClone(applied.preset), text: presetYaml(applied.preset) };
  }

  /** The applied presets as policy layers, in application order, for composeLayers(). */
  layers(): PolicyLayer[] {
    return this.entries.map((entry) => {
      // Built-ins follow the shipped content (fixes reach applied presets); custom presets keep what was applied.
      const doc = (entry.source === 'builtin' && this.builtins.get(entry.name)?.document) || entry.preset;
      return presetLayer(structuredClone(doc));
    });
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private customDir(): string {
    return join(this.stateDir, CUSTOM_DIR);
  }

  private customFile(name: string): string {
    return join(this.customDir(), `${name}.yaml`);
  }

  private builtinIndex(): BuiltinIndex {
    const keyOwners = new Map<string, string>();
    for (const p of this.builtins.values()) for (const key of Object.keys(p.document.network_policies)) keyOwners.set(key, p.name);
    return { names: new Set(this.builtins.keys()), keyOwners };
  }

  private async resolveByName(name: string): Promise<LoadedPreset> {
    const builtin = this.builtins.get(name);
    if (builtin) return builtin;
    // Re-read a custom file at apply time: it may have been edited since open, and must pass the rules as it is now.
    if (isValidPresetName(name) && (this.customs.has(name) || (await exists(this.customFile(name))))) {
      const loaded = await this.loadCustom(this.customFile(name));
      this.customs.set(name, loaded);
      return loaded;
    }
    const known = [...this.builtins.keys(), ...this.customs.keys()];
    throw new PresetError('not-found', `Unknown preset '${name}'${didYouMean(name, known)}; 'list' shows the built-in and saved presets`);
  }

  private async addFileUnlocked(file: string, dryRun: boolean): Promise<AddResult> {
    const loaded = await readPresetFile(file);
    assertCustomPreset(loaded.document, file, loaded.positions, this.builtinIndex());
    const name = loaded.document.preset.name;
    const target: LoadedPreset = {
      name,
      source: 'custom',
      file: this.customFile(name),
      text: loaded.text,
      document: loaded.document,
      warnings: loaded.warnings.map(formatProblem),
    };
    if (!dryRun) {
      await this.writeCustom(target.file, loaded.text);
      this.customs.set(name, target);
    }
    return this.apply(target, dryRun);
  }

  private async apply(preset: LoadedPreset, dryRun: boolean): Promise<AddResult> {
    const result: AddResult = {
      name: preset.name,
      file: preset.file,
      yaml: preset.text,
      applied: !dryRun,
      dryRun,
      warnings: preset.warnings,
    };
    if (dryRun) return result;
    const entry: AppliedEntry = { name: preset.name, source: preset.source, preset: structuredClone(preset.document) };
    await this.persist([...this.entries.filter((e) => e.name !== preset.name), entry]);
    return result;
  }

  /** Disk first: if the write fails, the in-memory list still matches what is on disk. */
  private async persist(next: AppliedEntry[]): Promise<void> {
    try {
      await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
      await writeAppliedState(this.stateDir, next);
    } catch (error) {
      throw ioError('Cannot save the applied presets', error);
    }
    this.entries = next;
  }

  private async writeCustom(file: string, text: string): Promise<void> {
    try {
      await mkdir(this.customDir(), { recursive: true, mode: 0o700 });
      await writeFileAtomic(file, text, { mode: 0o600 });
    } catch (error) {
      throw ioError(`Cannot write ${file}`, error);
    }
  }

  private async loadCustom(file: string): Promise<LoadedPreset> {
    const loaded = await readPresetFile(file);
    assertCustomPreset(loaded.document, file, loaded.positions, this.builtinIndex());
    const name = loaded.document.preset.name;
    // remove --delete-file and add-by-name find a preset by its file name, so the two must agree.
    if (basename(file) !== `${name}.yaml`) {
      throw new PresetError(
        'invalid',
        `${file}: preset.name is '${name}'; a saved preset must be named <preset.name>.yaml (rename the file to ${name}.yaml)`,
      );
    }
    return { name, source: 'custom', file, text: loaded.text, document: loaded.document, warnings: loaded.warnings.map(formatProblem) };
  }

  private async loadBuiltins(): Promise<void> {
    for (const file of await presetFilesIn(this.builtinDir)) {
      try {
        const loaded = await readPresetFile(file);
        const name = loaded.document.preset.name;
        if (basename(file).replace(PRESET_EXTENSION, '') !== name)
          throw new PresetError('invalid', `${file}: preset.name '${name}' does not match the file name`);
        if (this.builtins.has(name)) throw new PresetError('conflict', `${file}: built-in preset '${name}' is defined twice`);
        this.builtins.set(name, {
          name,
          source: 'builtin',
          file,
          text: loaded.text,
          document: loaded.document,
          warnings: loaded.warnings.map(formatProblem),
        });
      } catch (error) {
        this.report(file, error);
      }
    }
  }

  private async loadCustoms(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.customDir());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw ioError(`Cannot read ${this.customDir()}`, error);
    }
    // Hidden names are skipped: in-progress atomic writes use them.
    for (const entry of names.filter((n) => !n.startsWith('.') && n.endsWith('.yaml')).sort(compareBytes)) {
      const file = join(this.customDir(), entry);
      try {
        const loaded = await this.loadCustom(file);
        this.customs.set(loaded.name, loaded);
      } catch (error) {
        this.report(file, error);
      }
    }
  }

  private async loadApplied(): Promise<void> {
    const state = await readAppliedState(this.stateDir);
    this.reported.push(...state.problems);
    const file = join(this.stateDir, APPLIED_FILE);
    this.entries = state.entries.filter((entry) => {
      if (entry.source === 'custom' && this.builtins.has(entry.name)) {
        // Failing closed: a custom preset that now shares a built-in's name is not applied in its place.
        this.reported.push({
          file,
          message: `custom preset '${entry.name}' now has a built-in's name; it is no longer applied (re-add it under another name)`,
        });
        return false;
      }
      if (entry.source === 'builtin' && !this.builtins.has(entry.name)) {
        this.reported.push({
          file,
          message: `built-in preset '${entry.name}' is no longer shipped; the copy applied earlier stays in force until removed`,
        });
      }
      return true;
    });
  }

  private report(file: string, error: unknown): void {
    this.reported.push({ file, message: (error as Error).message });
  }
}

/** Regular, non-hidden .yaml/.yml files in a directory, sorted by byte order (symlinks and directories are skipped). */
async function presetFilesIn(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PresetError('not-found', `Preset directory not found: ${dir}`);
    if (code === 'ENOTDIR') throw new PresetError('invalid', `Not a directory: ${dir}`);
    throw ioError(`Cannot read ${dir}`, error);
  }
  const files = entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && PRESET_EXTENSION.test(e.name))
    .map((e) => join(dir, e.name))
    .sort(compareBytes);
  if (files.length === 0) throw new PresetError('not-found', `No .yaml/.yml preset files in ${dir}`);
  return files;
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** lstat, so a symlink counts: reading it is then refused with a clear message, and deleting removes the link. */
async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

function ioError(what: string, error: unknown): PresetError {
  if (error instanceof PresetError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  return new PresetError('io', `${what}: ${code ?? (error as Error).message}`, [], { cause: error });
}
