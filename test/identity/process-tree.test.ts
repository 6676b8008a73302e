// processTree against a real three-generation tree: this process → child → grandchild.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processTree } from '../../src/core/identity/process-tree.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const clean of cleanups.splice(0)) clean();
});

/** A child that starts `binary 30` as its own child and prints that grandchild's pid. */
async function childWithGrandchild(binary: string) {
  const script = `
const g = require('child_process').spawn(process.env.BINARY, ['30'], { stdio: 'ignore' });
g.on('spawn', () => console.log(g.pid));
setInterval(() => {}, 1 << 30);`;
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, BINARY: binary },
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL'); // the whole group, grandchild included
    } catch {
      // already gone
    }
  });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child: child.pid!, grandchild: Number(chunk.toString().trim()) };
}

describe.skipIf(process.platform !== 'linux')('processTree', () => {
  it('includes the root and its grandchildren, root first', async () => {
    const { child, grandchild } = await childWithGrandchild('sleep');
    const tree = await processTree(child);
    expect(tree[0]).toBe(child);
    expect(tree).toContain(grandchild);
    expect(tree).not.toContain(process.pid);
  });

  it('reaches down from an ancestor', async () => {
    const { child, grandchild } = await childWithGrandchild('sleep');
    const tree = await processTree(process.pid);
    expect(tree).toEqual(expect.arrayContaining([process.pid, child, grandchild]));
  });

  it('parses /proc/<pid>/stat when the command name holds spaces and parentheses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-tree-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const odd = join(dir, 'a) (b 1 2');
    copyFileSync('/bin/sleep', odd);
    const { child, grandchild } = await childWithGrandchild(odd);
    expect(await processTree(child)).toEqual([child, grandchild]);
  });

  it('is empty for a pid that is not running', async () => {
    const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    expect(await processTree(pidMax + 1)).toEqual([]);
    expect(await processTree(-1)).toEqual([]);
  });
});
