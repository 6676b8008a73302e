// The walkthrough as a newcomer sees it: two panes, a request typed on the right, decided on the left.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { haveTmux } from '../helpers/tmux.js';

const exec = promisify(execFile);
const session = `ost-wt-${process.pid}`;
const pane = async (n: number) => (await exec('tmux', ['capture-pane', '-t', `${session}:0.${n}`, '-p'])).stdout;
const waitFor = async (n: number, check: (s: string) => boolean, what: string) => {
  let last = '';
  for (let i = 0; i < 200; i++) {
    last = await pane(n).catch(() => last);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; pane ${n}:\n${last}`);
};

describe.runIf(haveTmux())('walkthrough', () => {
  afterAll(async () => {
    await exec('tmux', ['kill-session', '-t', session]).catch(() => {});
  });

  it('opens the console beside a shell that goes through it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'ost-wt-'));
    const r = await runCli(['walkthrough', '--state-dir', stateDir, '--session', session, '--no-attach'], undefined, { CI: 'true' });
    expect(r.code).toBe(0);
    await waitFor(0, (s) => s.includes('● connected'), 'the console');
    await waitFor(1, (s) => s.includes('(openshell)'), 'the shell prompt');
    // No DNS is needed: policy decides before any name is resolved.
    await exec('tmux', ['send-keys', '-t', `${session}:0.1`, 'curl -s http://walkthrough.invalid/hello; echo', 'Enter']);
    await waitFor(0, (s) => s.includes('walkthrough.invalid:80') && /held \d+s/.test(s), 'the held request in the console');
    await exec('tmux', ['send-keys', '-t', `${session}:0.0`, 'r']);
    const shell = await waitFor(1, (s) => s.includes('egress_denied'), 'the 403 in the shell');
    expect(shell.replace(/\n/g, '')).toContain('rejected by the operator'); // the pane wraps long lines
  }, 40_000);
});
