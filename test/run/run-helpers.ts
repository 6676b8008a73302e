// Shared by the `run` tests: the real binary as a core and as `run`, optionally as another uid (setpriv),
// and the hostile agent's JSON-line reports.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../helpers/cli.js';

export const HOSTILE_AGENT = join(import.meta.dirname, 'fixtures', 'hostile-agent.mjs');
export const SANDBOX_BINARY = join(BIN, '..', '..', 'native', 'agent-sandbox', 'build', 'Release', 'agent-sandbox');

export const isRoot = process.platform === 'linux' && process.getuid?.() === 0;

export function sandboxBuilt(): boolean {
  try {
    accessSync(SANDBOX_BINARY, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The kernel's Landlock ABI, as the helper probes it (0 without Landlock or without the helper). */
export function landlockAbi(): number {
  if (!sandboxBuilt()) return 0;
  const r = spawnSync(SANDBOX_BINARY, ['--probe'], { encoding: 'utf8' });
  return r.status === 0 ? (JSON.parse(r.stdout) as { kernel_abi: number }).kernel_abi : 0;
}

/** setpriv's prefix for running as nobody, when this checkout and node are usable by nobody (else why not). */
export function asNobody(): { prefix: string[] } | { skip: string } {
  if (!isRoot) return { skip: 'needs root to switch to nobody' };
  const probe = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, BIN, '--help'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0)
    return { skip: `nobody cannot run this checkout (${(probe.stderr || probe.error?.message || '').trim().split('\n')[0]})` };
  return { prefix: ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] };
}

/** A temp dir anyone can enter (for state dirs of a core that runs as nobody, and agent scripts). */
export function sharedTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o777);
  return dir;
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (optionally behind a command prefix such as setpriv), collecting its output. */
export function cli(args: string[], options: { env?: NodeJS.ProcessEnv; prefix?: string[]; timeoutMs?: number } = {}): Promise<Result> {
  const prefix = options.prefix ?? [];
  const argv = [...prefix, process.execPath, BIN, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Attempt {
  attempt: string;
  ok: boolean;
  error?: string;
  detail?: unknown;
}

/** The hostile agent's reports, by attempt. */
export function attempts(stdout: string): Record<string, Attempt> {
  const out: Record<string, Attempt> = {};
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const a = JSON.parse(line) as Attempt;
    out[a.attempt] = a;
  }
  return out;
}

export interface CoreChild {
  child: ChildProcess;
  pid: number;
  proxyPort: number;
  feedPort: number;
  grpcPort?: number;
  output(): string;
  stop(): Promise<void>;
}

/** `openshell-term core` as a child process (optionally as nobody), once it has written core.json. */
export async function startCore(
  stateDir: string,
  extra: string[] = [],
  options: { prefix?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<CoreChild> {
  const prefix = options.prefix ?? [];
  const argv = [...prefix, process.execPath, BIN, 'core', '--state-dir', stateDir, '--proxy-listen', '127.0.0.1:0', ...extra];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  for (let i = 0; i < 500; i++) {
    try {
      const info = JSON.parse(readFileSync(join(stateDir, 'core.json'), 'utf8')) as {
        pid: number;
        proxy: string;
        ws: string;
        grpc?: string;
      };
      const port = (url: string) => Number(/:(\d+)\/?$/.exec(url)![1]);
      return {
        child,
        pid: info.pid,
        proxyPort: port(info.proxy),
        feedPort: port(info.ws),
        grpcPort: info.grpc ? port(info.grpc) : undefined,
        output: () => output,
        stop: () =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      };
    } catch {
      // not written yet
    }
    if (child.exitCode !== null) throw new Error(`core exited early: ${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`core did not start: ${output}`);
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, tries = 300): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
