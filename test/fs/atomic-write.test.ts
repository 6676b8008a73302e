// writeFileAtomic against real files, and against real crashes: a child process rewriting a 2 MiB file in a
// loop is SIGKILLed at random moments and the file must always be exactly one of the two contents.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanupTempFiles, writeFileAtomic } from '../../src/core/fs/atomic-write.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODULE = pathToFileURL(join(ROOT, 'src/core/fs/atomic-write.ts')).href;
const SIZE = 2 * 1024 * 1024;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atomic-write-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const temps = async (d: string) => (await readdir(d)).filter((n) => n.endsWith('.atomic-tmp'));

/** A pid that certainly belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('writeFileAtomic', () => {
  it('writes strings and bytes, 0600 by default, and leaves no temp file', async () => {
    const file = join(dir, 'state.json');
    await writeFileAtomic(file, '{"a":1}\n');
    expect(await readFile(file, 'utf8')).toBe('{"a":1}\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    expect([...(await readFile(file))]).toEqual([1, 2, 3]);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('applies the requested mode exactly, replacing the old file mode', async () => {
    const file = join(dir, 'public.txt');
    await writeFile(file, 'old', { mode: 0o600 });
    await writeFileAtomic(file, 'new', { mode: 0o644 });
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    await writeFileAtomic(file, 'newer', { mode: 0o640 });
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(await readFile(file, 'utf8')).toBe('newer');
    await expect(writeFileAtomic(file, 'x', { mode: 0o10000 })).rejects.toThrow(RangeError);
    expect(await readFile(file, 'utf8')).toBe('newer');
  });

  it('on failure removes its temp file and leaves the target untouched', async () => {
    // rename(2) cannot replace a non-empty directory, so the failure comes after the data was written.
    const target = join(dir, 'busy');
    await mkdir(target);
    await writeFile(join(target, 'keep'), 'kept');
    await expect(writeFileAtomic(target, 'data')).rejects.toMatchObject({ code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/) });
    expect(await readFile(join(target, 'keep'), 'utf8')).toBe('kept');
    expect(await temps(dir)).toEqual([]);
    await expect(writeFileAtomic(join(dir, 'missing', 'file'), 'data')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('handles concurrent writes to one target: one of them wins whole, no temp is left', async () => {
    const file = join(dir, 'contended');
    const contents = Array.from({ length: 20 }, (_, i) => String(i).repeat(10_000 + i));
    await Promise.all(contents.map((c) => writeFileAtomic(file, c)));
    expect(contents).toContain(await readFile(file, 'utf8'));
    expect(await temps(dir)).toEqual([]);
  });

  it('keeps temp names short enough for a long target name', async () => {
    const file = join(dir, 'n'.repeat(250));
    await writeFileAtomic(file, 'ok');
    expect(await readFile(file, 'utf8')).toBe('ok');
  });
});

describe('cleanupTempFiles', () => {
  it('removes temp files of dead processes and of this one, keeps live writers and other files', async () => {
    const dead = await deadPid();
    const names = {
      dead: `.state.json.${dead}.0123456789ab.atomic-tmp`,
      mine: `.state.json.${process.pid}.abcdefabcdef.atomic-tmp`,
      live: `.state.json.${process.ppid}.00000000000f.atomic-tmp`,
      other: 'state.json.tmp',
      odd: '.state.json.atomic-tmp',
    };
    for (const name of Object.values(names)) await writeFile(join(dir, name), 'x');
    expect(await cleanupTempFiles(dir)).toBe(2);
    expect((await readdir(dir)).sort()).toEqual([names.live, names.odd, names.other].sort());
    expect(await cleanupTempFiles(join(dir, 'nope'))).toBe(0);
  });

  it('never removes the temp file of a write in flight in this process', async () => {
    const file = join(dir, 'big');
    const data = Buffer.alloc(SIZE, 7);
    const writing = writeFileAtomic(file, data);
    const cleaning = cleanupTempFiles(dir);
    await expect(writing).resolves.toBeUndefined();
    expect(await cleaning).toBe(0);
    expect((await readFile(file)).equals(data)).toBe(true);
  });
});

describe('writeFileAtomic under kill -9', () => {
  // The child rewrites the target with A and B alternately, as fast as it can, until it is killed.
  const CHILD = `
import { writeFileAtomic } from ${JSON.stringify(MODULE)};
const target = process.argv[2];
const a = Buffer.alloc(${SIZE}, 'A');
const b = Buffer.alloc(${SIZE}, 'B');
await writeFileAtomic(target, a);
process.stdout.write('ready\\n');
for (let i = 1; ; i++) await writeFileAtomic(target, i % 2 ? b : a);
`;

  it('leaves exactly A or B at every kill, and cleanup removes the leftovers', async () => {
    const script = join(dir, 'writer.mjs');
    await writeFile(script, CHILD);
    const work = join(dir, 'work');
    await mkdir(work);
    const target = join(work, 'target.bin');
    const a = Buffer.alloc(SIZE, 'A');
    const b = Buffer.alloc(SIZE, 'B');
    const seen = { a: 0, b: 0, leftovers: 0 };

    // At least 8 kills, and more until one has left a temp file behind for cleanup to find (most do: a kill
    // lands in the write or fsync of the temp file more often than between rename and the next open).
    for (let round = 0; round < 8 || (seen.leftovers === 0 && round < 40); round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, target], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.includes('ready') && resolve());
        child.once('exit', () => reject(new Error(`writer exited early: ${stderr}`)));
      });
      // A random moment inside the rewrite loop: mid-write, mid-fsync, between rename and the next open…
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 120));
      child.kill('SIGKILL');
      await exited;

      const content = await readFile(target);
      expect(content.length).toBe(SIZE);
      const isA = content.equals(a);
      expect(isA || content.equals(b)).toBe(true);
      seen[isA ? 'a' : 'b']++;

      const left = (await temps(work)).length;
      seen.leftovers += left;
      expect(await cleanupTempFiles(work)).toBe(left);
      expect(await readdir(work)).toEqual(['target.bin']);
    }
    expect(seen.leftovers).toBeGreaterThan(0);
  }, 60_000);
});
