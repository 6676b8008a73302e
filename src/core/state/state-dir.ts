// The core's state directory: where its token, runtime address file, CA and presets live. Private to the
// user (0700); secrets in it are 0600.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile, open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OPENSHELL_TERM_STATE_DIR) return env.OPENSHELL_TERM_STATE_DIR;
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'openshell-term');
}

export async function ensureStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/** Where a running core says it listens (written at start, read by CLI commands and `run`). */
export interface RuntimeInfo {
  pid: number;
  proxy: string;
  ws: string;
  startedAt: number;
}

export const RUNTIME_FILE = 'core.json';
export const TOKEN_FILE = 'control.token';

/** The control token guarding the feed; created once (0600) and reused. */
export async function loadOrCreateToken(dir: string): Promise<string> {
  const file = join(dir, TOKEN_FILE);
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(token)) return token;
  } catch {
    // fall through: create it
  }
  const token = randomBytes(32).toString('hex');
  await writePrivateFile(file, token + '\n');
  return token;
}

export async function readToken(dir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dir, TOKEN_FILE), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

export async function writeRuntimeInfo(dir: string, info: RuntimeInfo): Promise<void> {
  await writePrivateFile(join(dir, RUNTIME_FILE), JSON.stringify(info, null, 2) + '\n');
}

export async function readRuntimeInfo(dir: string): Promise<RuntimeInfo | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, RUNTIME_FILE), 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
}

/** Write-then-rename with fsync, mode 0600: a crash leaves the old file or the new one, never half of one. */
async function writePrivateFile(file: string, data: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(temp, data, { mode: 0o600 });
  const handle = await open(temp, 'r+');
  await handle.sync();
  await handle.close();
  await rename(temp, file);
}
