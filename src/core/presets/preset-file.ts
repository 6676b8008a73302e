// Reading one preset file under NemoClaw's `policy-add --from-file` rules: .yaml/.yml only, never
// through a symlink, at most 10,000,000 bytes, then the project's policy loader (which reports every
// problem as FILE:LINE:COL). The file is read through one descriptor, so what was checked is what is parsed.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { parsePolicyBytes, type PolicyProblem } from '../policy/source.js';
import type { PresetDocument } from '../policy/types.js';
import type { PositionIndex } from '../policy/yaml-walk.js';
import { PresetError } from './preset-error.js';

export const MAX_PRESET_FILE_BYTES = 10_000_000;
export const PRESET_EXTENSION = /\.ya?ml$/i;

export interface PresetFile {
  file: string;
  /** The file's text exactly as read (comments kept), for copying and previews. */
  text: string;
  document: PresetDocument;
  warnings: PolicyProblem[];
  positions: PositionIndex;
}

// O_NONBLOCK: opening a FIFO named like a preset would otherwise wait for a writer forever.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

export async function readPresetFile(file: string): Promise<PresetFile> {
  if (!PRESET_EXTENSION.test(file)) throw new PresetError('invalid', `Preset file must be .yaml or .yml: ${file}`);
  let handle: FileHandle;
  try {
    handle = await open(file, OPEN_FLAGS);
  } catch (error) {
    throw openError(file, error);
  }
  let bytes: Buffer;
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new PresetError('not-found', `Preset file is not a regular file: ${file}`);
    if (info.size > MAX_PRESET_FILE_BYTES) throw tooLarge(file, info.size);
    bytes = await readAtMost(handle, MAX_PRESET_FILE_BYTES + 1);
    // The file may have grown since stat.
    if (bytes.length > MAX_PRESET_FILE_BYTES) throw tooLarge(file, bytes.length);
  } catch (error) {
    if (error instanceof PresetError) throw error;
    throw new PresetError('io', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, [], {
      cause: error,
    });
  } finally {
    await handle.close();
  }
  const loaded = parsePolicyBytes(bytes, file, 'preset');
  if (loaded.errors.length > 0 || loaded.document?.kind !== 'preset') throw PresetError.fromProblems(loaded.errors);
  return {
    file,
    text: new TextDecoder().decode(bytes),
    document: loaded.document.preset,
    warnings: loaded.warnings,
    positions: loaded.positions,
  };
}

function openError(file: string, error: unknown): PresetError {
  const code = (error as NodeJS.ErrnoException).code;
  // Linux reports O_NOFOLLOW on a symlink as ELOOP, the BSDs as EMLINK.
  if (code === 'ELOOP' || code === 'EMLINK') {
    return new PresetError('invalid', `Preset file must not be a symbolic link: ${file} (pass the real file; 'realpath' shows it)`);
  }
  if (code === 'ENOENT' || code === 'ENOTDIR') return new PresetError('not-found', `Preset file not found: ${file}`);
  return new PresetError('io', `Cannot read ${file}: ${code ?? (error as Error).message}`, [], { cause: error });
}

function tooLarge(file: string, size: number): PresetError {
  return new PresetError('invalid', `Preset file too large: ${file} (${size} bytes; max ${MAX_PRESET_FILE_BYTES} bytes).`);
}

async function readAtMost(handle: FileHandle, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const chunk = Buffer.alloc(Math.min(64 * 1024, limit - total));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
  }
  return Buffer.concat(chunks, total);
}
