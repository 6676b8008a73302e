// `walkthrough`: the console on the left, and on the right a shell already running through its core,
// with a few commands to try — NemoClaw's walkthrough, self-contained (no API key). Without tmux it
// prints the two commands to run in two terminals.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from '../command.js';
import { STATE_DIR_FLAG, stateDirOf } from './core-flags.js';
import { PROJECT_ROOT } from '../../project-root.js';

const run = promisify(execFile);
const BIN = join(PROJECT_ROOT, 'bin', 'openshell-term.js');

const BANNER = `
  openshell-term walkthrough — this shell's traffic goes through the console's proxy (left).
  Try these, then decide each request on the left (a approve, r reject, Enter details):

    curl -s https://pypi.org/simple/requests/ | head -5     # an unknown host: held until you decide
    curl -s https://api.github.com/zen                       # approve it, then run it again: no prompt
    python3 -c "import urllib.request as u; print(u.urlopen('https://example.com').status)"

  exit closes this pane; q in the console quits it.
`;

function haveTmux(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export const walkthroughCommand: Command = {
  path: ['walkthrough'],
  usage: 'walkthrough [--state-dir DIR] [--session NAME] [--no-attach]',
  summary: 'Open a tmux session: the console on the left, a shell running through it on the right, with commands to try.',
  flags: {
    ...STATE_DIR_FLAG,
    session: { type: 'string', value: 'NAME', description: 'tmux session name (default openshell-walkthrough)' },
    'no-attach': { type: 'boolean', description: 'Create the session but do not attach to it' },
  },
  async run(args, io) {
    const stateDir = stateDirOf(args, io.env);
    const node = process.execPath;
    const consoleCmd = `${quote(node)} ${quote(BIN)} --state-dir ${quote(stateDir)} --proxy-listen 127.0.0.1:0`;
    const dir = await mkdtemp(join(tmpdir(), 'ost-walkthrough-'));
    const rc = join(dir, 'walkthrough.rc');
    await writeFile(rc, `[ -f ~/.bashrc ] && . ~/.bashrc\nPS1='(openshell) \\w \\$ '\ncat <<'EOF'\n${BANNER}\nEOF\n`);
    // `run` finds the console's core through the shared state dir; the shell waits until the console wrote it.
    const runtime = quote(join(stateDir, 'core.json'));
    const waitForConsole = `for i in $(seq 100); do [ -f ${runtime} ] && break; sleep 0.1; done; `;
    const shellCmd = `${waitForConsole}${quote(node)} ${quote(BIN)} run --state-dir ${quote(stateDir)} -- bash --rcfile ${quote(rc)} -i`;
    if (!haveTmux()) {
      io.stdout.write(
        `tmux is not installed. Run these in two terminals:\n\n  1) ${consoleCmd}\n  2) ${shellCmd.slice(waitForConsole.length)}\n`,
      );
      return 0;
    }
    const session = (args.flags.session as string | undefined) ?? 'openshell-walkthrough';
    await run('tmux', ['kill-session', '-t', session]).catch(() => {});
    await run('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '50', consoleCmd]);
    await run('tmux', ['split-window', '-h', '-t', `${session}:0`, shellCmd]);
    await run('tmux', ['select-pane', '-t', `${session}:0.1`]);
    if (args.flags['no-attach'] || !process.stdout.isTTY) {
      io.stdout.write(`walkthrough running in tmux session '${session}': tmux attach -t ${session}\n`);
      return 0;
    }
    const attach = io.env.TMUX ? ['switch-client', '-t', session] : ['attach-session', '-t', session];
    return spawnSync('tmux', attach, { stdio: 'inherit' }).status ?? 0;
  },
};
