// The core's state directory: where its token, runtime address file, CA and presets live. Private to the
// user (0700); secrets in it are 0600. core.json says where the running core listens; before a client
// trusts it, core-liveness.ts checks that the core it names is alive and owns that port.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic-write.js';
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
  /** The openshell.v1 endpoint, when the core serves one (http://H:P). */
  grpc?: string;
  /** The legacy (0.0.x) gateway API endpoint, when served (--grpc-legacy-listen). */
  grpcLegacy?: string;
  startedAt: number;
}

export const RUNTIME_FILE = 'core.json';
export const TOKEN_FILE = 'control.token';

/**
 * A new control token for this core's lifetime (the feed's and the gateway API's), written atomically, 0600.
 * Never reused: a token read by anyone before a restart (or left behind by a killed core) opens nothing after it.
 */
export async function createToken(dir: string): Promise<string> {
  const token = randomBytes(32).toString('hex');
  await writeFileAtomic(join(dir, TOKEN_FILE), `${token}\n`, { mode: 0o600 });
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
  await writeFileAtomic(join(dir, RUNTIME_FILE), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

export async function readRuntimeInfo(dir: string): Promise<RuntimeInfo | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, RUNTIME_FILE), 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
}
