// Drives the real binary in a real terminal: tmux new-session / send-keys / capture-pane.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function haveTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class TmuxSession {
  readonly name = `ost-${randomBytes(4).toString('hex')}`;

  /**
   * CI=true always: CI servers set it, and Ink draws nothing while it is set unless the console copes.
   * Started outside the checkout, as users do: the launcher must find its own tsconfig (JSX runtime).
   */
  async start(command: string, width = 120, height = 36): Promise<void> {
    await run('tmux', [
      'new-session',
      '-d',
      '-e',
      'CI=true',
      '-c',
      tmpdir(),
      '-s',
      this.name,
      '-x',
      String(width),
      '-y',
      String(height),
      command,
    ]);
  }

  /** Sends keys one at a time (tmux send-keys with several keys can arrive as one input). */
  async press(...keys: string[]): Promise<void> {
    for (const key of keys) {
      await run('tmux', ['send-keys', '-t', this.name, key]);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async screen(): Promise<string> {
    const { stdout } = await run('tmux', ['capture-pane', '-t', this.name, '-p']);
    return stdout;
  }

  async waitFor(check: (screen: string) => boolean, what: string, timeoutMs = 10_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < until) {
      last = await this.screen().catch(() => last);
      if (check(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}; screen:\n${last}`);
  }

  /** True while the session (and so the program in it) is alive. */
  async alive(): Promise<boolean> {
    return run('tmux', ['has-session', '-t', this.name]).then(
      () => true,
      () => false,
    );
  }

  async stop(): Promise<void> {
    await run('tmux', ['kill-session', '-t', this.name]).catch(() => {});
  }
}
