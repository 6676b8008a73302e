// Starts the real `openshell-term core` as a child process and waits until it has written its runtime file.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN } from './cli.js';

export interface CoreProcess {
  child: ChildProcess;
  proxy: string;
  ws: string;
  /** The gateway API endpoint, when started with --grpc-listen. */
  grpc?: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** `prefix`: a command that execs the core in its own place (same pid), e.g. ['prlimit', '--nofile=600']. */
export async function startCoreProcess(stateDir: string, extra: string[] = [], prefix: string[] = []): Promise<CoreProcess> {
  const argv = [...prefix, process.execPath, BIN, 'core', '--state-dir', stateDir, '--proxy-listen', '127.0.0.1:0', ...extra];
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  for (let i = 0; i < 300; i++) {
    try {
      const info = JSON.parse(await readFile(join(stateDir, 'core.json'), 'utf8'));
      if (info.pid === child.pid) {
        return {
          child,
          proxy: `http://${info.proxy}`,
          ws: info.ws,
          grpc: info.grpc,
          output: () => output,
          stop: () =>
            new Promise((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
              child.once('exit', (code) => resolve(code));
              child.kill('SIGTERM');
            }),
        };
      }
    } catch {
      // not written yet
    }
    if (child.exitCode !== null) throw new Error(`core exited early: ${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`core did not start: ${output}`);
}
