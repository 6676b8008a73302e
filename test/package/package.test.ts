// The package as users get it: `npm pack` from a copy of the checkout (its prepack builds dist/), then
// `npm install -g` of that tarball into a temporary prefix (dependencies from the npm registry, no
// development tools). The installed command starts from dist/ (tsx is not even installed), finds its
// presets and protos, and builds its native parts at install — or says in one line what is missing.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'ost-package-'));
let tarball: string;
let files: string[];

const run = (file: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = work) =>
  exec(file, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );

/** npm install -g of the tarball into a fresh prefix; returns the prefix and npm's output. */
async function installInto(name: string, env: NodeJS.ProcessEnv = {}, flags: string[] = []) {
  const prefix = join(work, name);
  // Dependencies come from the registry; --prefer-offline reuses what the checkout's install cached.
  const r = await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', ...flags, tarball], env);
  return { prefix, pkg: join(prefix, 'lib', 'node_modules', 'openshell-term'), bin: join(prefix, 'bin', 'openshell-term'), ...r };
}

beforeAll(async () => {
  // A copy of the checkout as a fresh clone has it (tracked and new files, no dist/ or native builds), so
  // packing never touches the worktree's own dist/ while other tests run from it.
  const tree = join(work, 'tree');
  const listed = (await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT })).stdout;
  for (const file of listed.split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the worktree, not yet committed
    mkdirSync(dirname(join(tree, file)), { recursive: true });
    cpSync(join(ROOT, file), join(tree, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], {}, tree);
  expect(packed.code, packed.stderr).toBe(0);
  // Lifecycle scripts print to stdout before npm's JSON.
  const report = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('\n[') + 1));
  tarball = join(work, report[0].filename);
  files = (report[0].files as Array<{ path: string }>).map((f) => f.path).sort();
}, 480_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('npm pack', () => {
  it('ships dist/, the native sources and what runs at run time; no tests, benches, sources or source maps', () => {
    for (const wanted of [
      'bin/openshell-term.js',
      'bin/build-state.js',
      'dist/.built',
      'dist/src/cli.js',
      'dist/src/project-root.js',
      'native/build.mjs',
      'native/relay/binding.gyp',
      'native/relay/relay.c',
      'native/sock-diag/binding.gyp',
      'native/sock-diag/sock_diag.c',
      'native/sock-diag/addon.h',
      'proto/v0/openshell.proto',
      'proto/v1/openshell.proto',
      'proto/ryno/ryno.proto',
      'native/agent-sandbox/binding.gyp',
      'native/agent-sandbox/main.c',
      'package.json',
      'README.md',
    ])
      expect(files).toContain(wanted);
    // Every built-in preset.
    const presets = readdirSync(join(ROOT, 'presets')).map((f) => `presets/${f}`);
    expect(files.filter((f) => f.startsWith('presets/'))).toEqual(presets.sort());
    const top = new Set(files.map((f) => f.split('/')[0]));
    expect([...top].sort()).toEqual(['README.md', 'bin', 'dist', 'native', 'package.json', 'presets', 'proto']);
    expect(files.filter((f) => f.endsWith('.map') || f.endsWith('.ts') || f.includes('/build/'))).toEqual([]);
  });
});

describe('npm install -g of the tarball', () => {
  it('runs --help from dist/ without tsx, builds the native parts, and finds presets and protos', async () => {
    const installed = await installInto('prefix');
    expect(installed.code, installed.stderr).toBe(0);
    // tsx is a development dependency: it is not installed, so the command cannot have run through it.
    expect(existsSync(join(installed.pkg, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(installed.pkg, 'src'))).toBe(false);
    const help = await run(installed.bin, ['--help']);
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: openshell-term <command> [flags]');
    // The native parts were built at install, or each says in one line what is slower without it.
    for (const [dir, addon] of [
      ['sock-diag', 'sock_diag.node'],
      ['relay', 'relay.node'],
    ]) {
      const built = existsSync(join(installed.pkg, 'native', dir, 'build', 'Release', addon));
      const report = JSON.parse(readFileSync(join(installed.pkg, 'native', 'build-report.json'), 'utf8'));
      expect(report.problems.some((p: { dir: string }) => p.dir === dir)).toBe(!built);
    }
    // Run-time data: the built-in presets and the gateway protos.
    const state = join(work, 'state');
    const list = await run(installed.bin, ['preset', 'list', '--json', '--state-dir', state]);
    expect(JSON.parse(list.stdout).map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['apt', 'whatsapp', 'npm']));
    const check = await run(installed.bin, ['policy', 'check', join(installed.pkg, 'presets', 'signal.yaml')]);
    expect(check.stdout).toContain("ok — preset 'signal'");
    const core = execFile(installed.bin, ['core', '--state-dir', state, '--proxy-listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0']);
    try {
      let info: { grpc?: string } | undefined;
      for (let i = 0; i < 300 && !info?.grpc; i++) {
        await new Promise((r) => setTimeout(r, 50));
        if (existsSync(join(state, 'core.json'))) info = JSON.parse(readFileSync(join(state, 'core.json'), 'utf8'));
      }
      expect(info?.grpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      core.kill('SIGTERM');
    }
    // Without its dist/ the installed command says so plainly (it never falls back to sources it lacks).
    rmSync(join(installed.pkg, 'dist', '.built'));
    const broken = await run(installed.bin, ['--help']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('this installation has no compiled build');
  }, 240_000);

  it('installs where the native parts cannot build, saying in one line each what is slower, at install and at every start', async () => {
    // A compiler that always fails: every addon build fails the way it would without one. npm shows an
    // install script's output only with --foreground-scripts; the core repeats the lines when it starts.
    const installed = await installInto('prefix-no-cc', { CC: '/bin/false', CXX: '/bin/false' }, ['--foreground-scripts']);
    expect(installed.code, installed.stderr).toBe(0);
    const lines = (text: string) => text.split('\n').filter((l) => l.includes('native ') && l.includes(' not built ('));
    const expected = [
      expect.stringMatching(/native sock-diag \(.*\) not built \(build failed\); without it .*\(slower per connection\)\. To see why: /),
      expect.stringMatching(/native relay \(.*\) not built \(build failed\); without it .*Node streams/),
      expect.stringMatching(/native agent-sandbox \(.*\) not built \(build failed\); without it `run` cannot apply kernel separation/),
    ];
    expect(lines(installed.stderr)).toEqual(expected);
    const help = await run(installed.bin, ['--help']);
    expect(help.code).toBe(0);
    const state = join(work, 'state-no-cc');
    const core = execFile(installed.bin, ['core', '--state-dir', state, '--proxy-listen', '127.0.0.1:0']);
    let output = '';
    core.stdout!.on('data', (d) => (output += d));
    try {
      for (let i = 0; i < 300 && !output.includes('proxy on'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(lines(output)).toEqual(expected);
      expect(output).toMatch(/warn {2}native: native relay/);
    } finally {
      core.kill('SIGTERM');
    }
  }, 240_000);
});
