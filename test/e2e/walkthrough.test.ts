// The walkthrough as a newcomer sees it: three panes, a request typed in the agent's shell (right), decided
// in the console (left), the CLI in the operator's shell (below the agent's) —
// and the same on every run: started twice in a row, or after the console was killed outright (its
// core.json left behind), the shell goes through the console's core, never a hidden one of its own.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { haveTmux } from '../helpers/tmux.js';

const exec = promisify(execFile);
const session = `ost-wt-${process.pid}`;
const pane = async (n: number) => (await exec('tmux', ['capture-pane', '-t', `${session}:0.${n}`, '-p', '-J'])).stdout;
const waitFor = async (n: number, check: (s: string) => boolean, what: string) => {
  let last = '';
  for (let i = 0; i < 800; i++) {
    last = await pane(n).catch(() => last);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; pane ${n}:\n${last}`);
};
const type = (n: number, text: string) => exec('tmux', ['send-keys', '-t', `${session}:0.${n}`, text, 'Enter']);
const panePid = async (n: number) =>
  Number((await exec('tmux', ['display-message', '-p', '-t', `${session}:0.${n}`, '#{pane_pid}'])).stdout.trim());

/** Starts the walkthrough and proves the shell's traffic reaches this console: a request typed on the right shows up on the left. */
async function walkthroughWorks(stateDir: string, host: string): Promise<void> {
  const r = await runCli(['walkthrough', '--state-dir', stateDir, '--session', session, '--no-attach'], undefined, { CI: 'true' });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  await waitFor(0, (s) => s.includes('● connected'), 'the console');
  await waitFor(1, (s) => s.includes('(openshell)'), 'the shell prompt');
  // The console's process is the one core for the state dir.
  const core = JSON.parse(readFileSync(join(stateDir, 'core.json'), 'utf8'));
  expect(core.pid).toBe(await panePid(0));
  // No DNS is needed: policy decides before any name is resolved.
  await type(1, `curl -s http://${host}/hello; echo`);
  await waitFor(0, (s) => s.includes(`${host}:80`) && /held \d+s/.test(s), `${host} held in this console`);
}

describe.runIf(haveTmux())('walkthrough', () => {
  afterAll(async () => {
    await exec('tmux', ['kill-session', '-t', session]).catch(() => {});
  });

  it('opens the console beside a shell that goes through it, says how to move between panes, and has openshell-term in the operator’s shell', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'ost-wt-'));
    await walkthroughWorks(stateDir, 'walkthrough.invalid');
    const banner = await pane(1);
    expect(banner).toMatch(/Ctrl-b o/);
    expect(banner).toContain('mouse');
    await exec('tmux', ['send-keys', '-t', `${session}:0.0`, 'r']);
    const shell = await waitFor(1, (s) => s.includes('egress_denied'), 'the 403 in the shell');
    expect(shell.replace(/\n/g, '')).toContain('rejected by the operator');
    // The agent's shell cannot reach the control plane (run hides the state dir, with its token, from it)...
    // (Read, not `test -r`: access(2) answers for root without asking Landlock.)
    await type(1, `clear; head -c1 ${join(stateDir, 'control.token')} >/dev/null 2>&1 && echo TOKEN-READABLE || echo TOKEN-HIDDEN`);
    await waitFor(1, (s) => /^TOKEN-HIDDEN$/m.test(s), 'the token hidden from the agent');
    // ...the operator's shell below it has the CLI on PATH, talking to this walkthrough's core without flags.
    await waitFor(2, (s) => s.includes('(operator)'), "the operator's prompt");
    await type(2, 'clear; openshell-term requests --all');
    await waitFor(2, (s) => /r1\s+rejected\s+walkthrough\.invalid:80/.test(s), "openshell-term requests in the operator's shell");
  }, 120_000); // three processes start and two shells answer: generous on a loaded 2-core machine

  it('works again on a second run, and after its console was killed (a stale core.json left behind)', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'ost-wt-again-'));
    await walkthroughWorks(stateDir, 'first.invalid');
    // Second run, same session and state dir: the old console is replaced, not shadowed.
    await walkthroughWorks(stateDir, 'second.invalid');
    expect(await pane(0)).not.toContain('first.invalid');
    // The console dies without cleaning up (a closed terminal at its worst): its core.json stays.
    const stale = JSON.parse(readFileSync(join(stateDir, 'core.json'), 'utf8'));
    process.kill(stale.pid, 'SIGKILL');
    await waitFor(0, (s) => !s.includes('● connected'), 'the console gone');
    expect(JSON.parse(readFileSync(join(stateDir, 'core.json'), 'utf8')).pid).toBe(stale.pid);
    await walkthroughWorks(stateDir, 'third.invalid');
  }, 120_000);

  it('never starts a second core beside one already running for the state dir', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'ost-wt-busy-'));
    const { startCoreProcess } = await import('../helpers/core-process.js');
    const core = await startCoreProcess(stateDir);
    try {
      const r = await runCli(['walkthrough', '--state-dir', stateDir, '--session', `${session}-busy`, '--no-attach'], undefined, {
        CI: 'true',
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`a core is already running for ${stateDir} (pid ${core.child.pid}`);
      expect(JSON.parse(readFileSync(join(stateDir, 'core.json'), 'utf8')).pid).toBe(core.child.pid);
      expect(
        await exec('tmux', ['has-session', '-t', `${session}-busy`]).then(
          () => true,
          () => false,
        ),
      ).toBe(false);
    } finally {
      await core.stop();
    }
  }, 30_000);
});
