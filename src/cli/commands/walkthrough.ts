// `walkthrough`: the console on the left, and on the right a shell already running through its core as
// an agent (under `run`: the kernel keeps it from the core's state dir and control port), with a few
// commands to try — NemoClaw's walkthrough, self-contained (no API key) — and below it the operator's
// own shell with the CLI on PATH. Without tmux it prints the three commands to run in three terminals.
//
// Every run ends with exactly one core for the state dir, the console's, and a shell that goes through
// it: a previous walkthrough session of the same name is closed first (and its core waited out), a
// core.json left by a console that died is recognised as stale (findLiveCore), the shell starts only
// once the console's own core answers, and a core started elsewhere is never shadowed by a second one.
import { execFile, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from '../command.js';
import { STATE_DIR_FLAG, stateDirOf } from './core-flags.js';
import { PROJECT_ROOT } from '../../project-root.js';
import { ensureStateDir } from '../../core/state/state-dir.js';
import { findLiveCore, processAlive } from './live-core.js';

const execTmux = promisify(execFile);
const tmux = (args: string[]) => execTmux('tmux', args, { encoding: 'utf8' });
const BIN = join(PROJECT_ROOT, 'bin', 'openshell-term.js');
/** How long the console may take to start its core (a cold start on a busy machine runs through tsx). */
const CONSOLE_START_MS = 60_000;

// Lines under 96 columns: the shell's pane is half of a 200-column window.
const banner = (session: string) => `
  openshell-term walkthrough: this shell is an agent: its traffic goes through the console's proxy
  (left), and the kernel keeps it there (it cannot reach the core's state dir or control port).
  Try these, then decide each request on the left (a approve, r reject, Enter details):

    curl -s https://pypi.org/simple/requests/ | head -5   # unknown host: held until you decide
    curl -s https://api.github.com/zen                     # approve, run again: no prompt
    python3 -c "import urllib.request as u; print(u.urlopen('https://example.com').status)"

  The operator's shell below has openshell-term on PATH: openshell-term requests --all there
  shows the same inbox, from the CLI.
  Move between panes: Ctrl-b o (or Ctrl-b then an arrow key), or click one (the mouse is on).
  Ctrl-b d detaches (tmux attach -t ${session} returns). exit closes a pane; q quits the console.
`;

const operatorBanner = `
  The operator's shell: not an agent (no proxy, no sandbox), with openshell-term on PATH
  and this walkthrough's state dir as the default. Try: openshell-term requests --all
`;

function haveTmux(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pids of a tmux session's panes; none when there is no such session. */
async function panePids(target: string): Promise<number[]> {
  try {
    const { stdout } = await tmux(['list-panes', '-s', '-t', target, '-F', '#{pane_pid}']);
    return stdout.split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(50)) if (!processAlive(pid)) return true;
  return !processAlive(pid);
}

/**
 * Start-up files for the two shells. The agent's: the user's bashrc, the walkthrough's prompt, the
 * banner (`run` keeps it from the core, so it gets no CLI). The operator's: the CLI on PATH (a wrapper
 * that reaches the core directly, never through a proxy) and this state dir as the default.
 */
async function shellFiles(stateDir: string, session: string): Promise<{ agent: string; operator: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'ost-walkthrough-'));
  const bin = join(dir, 'bin');
  await mkdir(bin);
  const cli = join(bin, 'openshell-term');
  const unset = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy', 'NODE_USE_ENV_PROXY'];
  await writeFile(
    cli,
    `#!/bin/sh\n# The operator's CLI: talks to the core directly.\nexec env ${unset.map((v) => `-u ${v}`).join(' ')} ${quote(process.execPath)} ${quote(BIN)} "$@"\n`,
  );
  await chmod(cli, 0o755);
  const agent = join(dir, 'agent.rc');
  await writeFile(
    agent,
    ['[ -f ~/.bashrc ] && . ~/.bashrc', "PS1='(openshell) \\w \\$ '", `cat <<'EOF'\n${banner(session)}\nEOF`, ''].join('\n'),
  );
  const operator = join(dir, 'operator.rc');
  await writeFile(
    operator,
    [
      '[ -f ~/.bashrc ] && . ~/.bashrc',
      `export PATH=${quote(bin)}:"$PATH"`,
      `export OPENSHELL_TERM_STATE_DIR=${quote(stateDir)}`,
      "PS1='(operator) \\w \\$ '",
      `cat <<'EOF'\n${operatorBanner}\nEOF`,
      '',
    ].join('\n'),
  );
  return { agent, operator };
}

export const walkthroughCommand: Command = {
  path: ['walkthrough'],
  usage: 'walkthrough [--state-dir DIR] [--session NAME] [--no-attach]',
  summary:
    'Open a tmux session: the console on the left, a shell running through it on the right, with commands to try. Safe to run again.',
  flags: {
    ...STATE_DIR_FLAG,
    session: { type: 'string', value: 'NAME', description: 'tmux session name (default openshell-walkthrough)' },
    'no-attach': { type: 'boolean', description: 'Create the session but do not attach to it' },
  },
  async run(args, io) {
    const stateDir = resolve(stateDirOf(args, io.env));
    await ensureStateDir(stateDir);
    const node = quote(process.execPath);
    const consoleCmd = `${node} ${quote(BIN)} --state-dir ${quote(stateDir)} --proxy-listen 127.0.0.1:0`;
    const session = (args.flags.session as string | undefined) ?? 'openshell-walkthrough';
    const rc = await shellFiles(stateDir, session);
    const shellCmd = `${node} ${quote(BIN)} run --state-dir ${quote(stateDir)} -- bash --rcfile ${quote(rc.agent)} -i`;
    const operatorCmd = `bash --rcfile ${quote(rc.operator)} -i`;
    if (!haveTmux()) {
      io.stdout.write(
        `tmux is not installed. Run these in three terminals:\n\n  1) ${consoleCmd}\n  2) ${shellCmd}\n  3) ${operatorCmd}\n`,
      );
      return 0;
    }

    // A previous walkthrough of this name goes first, and the core its console ran goes with it.
    const previous = await panePids(session);
    await tmux(['kill-session', '-t', session]).catch(() => {});
    let live = await findLiveCore(stateDir);
    if (live && previous.includes(live.pid)) {
      if (!(await waitGone(live.pid, 10_000))) process.kill(live.pid, 'SIGTERM');
      if (!(await waitGone(live.pid, 5_000))) {
        io.stderr.write(`openshell-term: the previous walkthrough's console (pid ${live.pid}) does not exit; stop it and try again\n`);
        return 1;
      }
      live = await findLiveCore(stateDir);
    }
    if (live) {
      // Its console, if it has one, is elsewhere; ours would be a second core on the same state dir.
      io.stderr.write(
        `openshell-term: a core is already running for ${stateDir} (pid ${live.pid}, proxy ${live.proxy}). ` +
          `The walkthrough opens its own console and core: stop that one first, or give the walkthrough its own --state-dir.\n`,
      );
      return 1;
    }

    // The console (and so the one core) first, in the left pane; `exec` makes the pane's pid the console's.
    // remain-on-exit keeps a console that fails at start on screen, so its error can be shown.
    await tmux([
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '200',
      '-y',
      '50',
      `exec ${consoleCmd}`,
      ';',
      'set-option',
      '-t',
      session,
      'remain-on-exit',
      'on',
    ]);
    const [consolePid] = await panePids(session);
    const started = await waitForConsoleCore(session, stateDir, consolePid);
    if (started !== true) {
      await tmux(['kill-session', '-t', session]).catch(() => {});
      io.stderr.write(`openshell-term: the walkthrough's console did not start its core: ${started}\n`);
      return 1;
    }
    await tmux(['set-option', '-t', session, 'remain-on-exit', 'off']);
    await tmux(['set-option', '-t', session, 'mouse', 'on']);
    // Only now the shell: `run` finds the console's core through core.json, which is the live one.
    await tmux(['split-window', '-h', '-t', `${session}:0`, shellCmd]);
    // Below the agent, the operator's own shell: the CLI on the same inbox, outside the agent's sandbox.
    await tmux(['split-window', '-v', '-l', '30%', '-t', `${session}:0.1`, operatorCmd]);
    await tmux(['select-pane', '-t', `${session}:0.1`]);
    if (args.flags['no-attach'] || !process.stdout.isTTY) {
      io.stdout.write(`walkthrough running in tmux session '${session}': tmux attach -t ${session}\n`);
      return 0;
    }
    const attach = io.env.TMUX ? ['switch-client', '-t', session] : ['attach-session', '-t', session];
    return spawnSync('tmux', attach, { stdio: 'inherit' }).status ?? 0;
  },
};

/** True once the console in the session's first pane serves the state dir's core; else why not. */
async function waitForConsoleCore(session: string, stateDir: string, consolePid: number | undefined): Promise<true | string> {
  if (!consolePid) return 'tmux did not start it';
  for (const until = Date.now() + CONSOLE_START_MS; Date.now() < until; await sleep(100)) {
    if ((await findLiveCore(stateDir))?.pid === consolePid) return true;
    const { stdout } = await tmux(['display-message', '-p', '-t', `${session}:0.0`, '#{pane_dead}']).catch(() => ({ stdout: '1' }));
    if (stdout.trim() === '1') {
      const screen = await tmux(['capture-pane', '-p', '-t', `${session}:0.0`]).then(
        (r) => r.stdout.trim(),
        () => '',
      );
      return `it exited${screen ? `:\n${screen}` : ''}`;
    }
  }
  return `no answer within ${CONSOLE_START_MS / 1000} s`;
}
