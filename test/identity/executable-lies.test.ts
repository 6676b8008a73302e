// Identity trick 1: a process that makes /proc/<pid>/exe name a binary it does not run. Each attack is a real
// process talking to a real proxy and core whose policy lets only /usr/bin/curl (or the binary named) reach
// allowed.test; the attacker runs node (or its own program) and must not get curl's rights. Honest processes
// in other mount namespaces, behind symlinks and on overlays must still be named.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asNobody, CURL, NODE, root, run, startIdentityProxy, statusOf, until, works, type IdentityProxy } from './harness.js';

const linux = process.platform === 'linux';
const LOADER = { x64: '/lib64/ld-linux-x86-64.so.2', arm64: '/lib/ld-linux-aarch64.so.1' }[process.arch as string];
const userNamespaces = linux && works([...asNobody, 'unshare', '-Urm', 'true']);

// Run as "curl" (through a bind mount or overlay), this node script asks the proxy for allowed.test.
const CLIENT = `
const s = require('net').connect(Number(process.env.PROXY_PORT), process.env.PROXY_HOST, () => s.write(process.env.REQUEST));
let text = ''; s.on('data', (d) => (text += d)); s.on('close', () => console.log(text.split('\\r\\n')[0]));`;

let proxy: IdentityProxy;
let dir: string;
const env = () => ({ ...process.env, PROXY_HOST: proxy.host, PROXY_PORT: String(proxy.port), REQUEST: proxy.request('/lie') });

beforeAll(async () => {
  proxy = await startIdentityProxy(['/usr/bin/curl']);
  dir = mkdtempSync(join(tmpdir(), 'ost-exe-lies-'));
  chmodSync(dir, 0o755); // nobody runs programs from here
});
afterAll(async () => {
  await proxy.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A hard link where possible (node is large), else a copy. */
function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
    chmodSync(to, 0o755);
  }
}

/** Runs `command`, returns the status line it printed, and what the proxy was told about it. */
async function attempt(command: string[], options: { cwd?: string } = {}) {
  const before = proxy.seen.length;
  const { output } = run(command, { env: env(), ...options });
  const { stdout, stderr } = await output;
  await until(() => proxy.seen.length > before, 'the proxy to identify the client');
  return { status: statusOf(stdout), stdout, stderr, who: proxy.seen[before] };
}

describe.runIf(linux && CURL === '/usr/bin/curl')('a path another mount namespace fakes is not the binary', () => {
  it.runIf(root)('node bind-mounted over /usr/bin/curl in a mount namespace (root, same user namespace) is not curl', async () => {
    const r = await attempt(['unshare', '-m', 'sh', '-c', `mount --bind ${NODE} /usr/bin/curl && exec /usr/bin/curl -e "$0"`, CLIENT]);
    expect(r.status, r.stderr).toBe(403);
    expect(r.who).toMatchObject({ binary: 'unknown' });
    expect(r.who.reason).toContain('/usr/bin/curl, but that path is another file here');
    expect(proxy.served).not.toContain('/lie');
    expect(proxy.warnings.at(-1)).toContain('another file here');
  });

  it.runIf(userNamespaces)('the same as an unprivileged user in a user and mount namespace of its own is not curl', async () => {
    const r = await attempt([
      ...asNobody,
      'unshare',
      '-Urm',
      'sh',
      '-c',
      `mount --bind ${NODE} /usr/bin/curl && exec /usr/bin/curl -e "$0"`,
      CLIENT,
    ]);
    expect(r.status, r.stderr).toBe(403);
    expect(r.who.binary).toBe('unknown');
    expect(r.who.reason).toContain('another user namespace');
  });

  it.runIf(root)('node put over /usr/bin by an overlay in a mount namespace is not curl', async () => {
    const upper = join(dir, 'upper');
    const work = join(dir, 'work');
    mkdirSync(upper);
    mkdirSync(work);
    linkOrCopy(NODE, join(upper, 'curl'));
    const mount = `mount -t overlay overlay -o lowerdir=/usr/bin,upperdir=${upper},workdir=${work} /usr/bin`;
    const r = await attempt(['unshare', '-m', 'sh', '-c', `${mount} && exec /usr/bin/curl -e "$0"`, CLIENT]);
    expect(r.status, r.stderr).toBe(403);
    expect(r.who.binary).toBe('unknown');
  });

  it.runIf(userNamespaces && LOADER !== undefined)(
    'a process that points its own /proc/<pid>/exe at curl (PR_SET_MM_MAP in a user namespace) is not curl, though stat() agrees',
    async () => {
      const program = join(dir, 'fake-exe');
      execFileSync('gcc', ['-O1', '-o', program, join(import.meta.dirname, 'fixtures', 'fake-exe.c')]);
      chmodSync(program, 0o755);
      const r = await attempt([
        ...asNobody,
        'env',
        'LD_BIND_NOW=1',
        LOADER!,
        program,
        '/usr/bin/curl',
        proxy.host,
        String(proxy.port),
        proxy.request('/mm-map'),
      ]);
      // The trick works on this kernel: the link reads curl (and stat through it is curl's file)...
      expect(r.stdout).toContain('exe=/usr/bin/curl');
      // ...so only the user namespace gives it away.
      expect(r.status, r.stdout + r.stderr).toBe(403);
      expect(r.who).toMatchObject({ binary: 'unknown' });
      expect(r.who.reason).toContain('another user namespace');
      expect(proxy.served).not.toContain('/mm-map');
    },
  );
});

describe.runIf(linux && CURL === '/usr/bin/curl')('honest processes are named', () => {
  it.runIf(root)('curl in another mount namespace (as `ip netns exec` makes) is curl', async () => {
    const r = await attempt([
      'unshare',
      '-m',
      'sh',
      '-c',
      `exec /usr/bin/curl -s -o /dev/null -w 'HTTP/1.1 %{http_code}' -x http://${proxy.host}:${proxy.port} http://allowed.test:${proxy.upstreamPort}/honest`,
    ]);
    expect(r.status).toBe(200);
    expect(r.who).toMatchObject({ binary: '/usr/bin/curl' });
    expect(r.who.reason).toBeUndefined();
  });

  it('curl started through a symlink is named by its real path', async () => {
    const link = join(dir, 'my-curl');
    symlinkSync('/usr/bin/curl', link);
    const r = await attempt([
      link,
      '-s',
      '-o',
      '/dev/null',
      '-w',
      'HTTP/1.1 %{http_code}',
      '-x',
      `http://${proxy.host}:${proxy.port}`,
      `http://allowed.test:${proxy.upstreamPort}/link`,
    ]);
    expect(r.status).toBe(200);
    expect(r.who.binary).toBe('/usr/bin/curl');
  });

  it.runIf(root)('a binary on an overlay mounted in our own namespace is named by its path there', async () => {
    const lower = join(dir, 'ov-lower');
    const [upper, work, merged] = ['ov-upper', 'ov-work', 'ov-merged'].map((d) => join(dir, d));
    for (const d of [lower, upper, work, merged]) mkdirSync(d);
    copyFileSync('/usr/bin/curl', join(lower, 'tool'));
    chmodSync(join(lower, 'tool'), 0o755);
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged]);
    const onOverlay = await startIdentityProxy([join(merged, 'tool')]);
    try {
      const before = onOverlay.seen.length;
      const { output } = run([
        join(merged, 'tool'),
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-x',
        `http://127.0.0.1:${onOverlay.port}`,
        `http://allowed.test:${onOverlay.upstreamPort}/overlay`,
      ]);
      expect((await output).stdout).toBe('200');
      expect(onOverlay.seen[before]).toMatchObject({ binary: join(merged, 'tool') });
    } finally {
      await onOverlay.close();
      execFileSync('umount', [merged]);
    }
  });
});

describe.runIf(linux && CURL !== undefined)('a binary deleted or replaced since it started is not named', () => {
  it('curl copied, started, then removed is unknown, though the policy names its path', async () => {
    const copy = join(dir, 'curl-copy');
    copyFileSync(CURL!, copy);
    chmodSync(copy, 0o755);
    const onCopy = await startIdentityProxy([copy]);
    const gate = join(dir, 'gate');
    execFileSync('mkfifo', [gate]);
    try {
      // curl reads the fifo first (blocking until the test writes it), then asks the proxy.
      const { child, output } = run([
        copy,
        '-s',
        '-o',
        '/dev/null',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}\\n',
        '-x',
        `http://127.0.0.1:${onCopy.port}`,
        `file://${gate}`,
        `http://allowed.test:${onCopy.upstreamPort}/deleted`,
      ]);
      await once(child, 'spawn');
      unlinkSync(copy);
      const gateWriter = spawn('sh', ['-c', `echo go > ${gate}`]);
      await once(gateWriter, 'exit');
      const { stdout } = await output;
      expect(stdout.trim().split('\n').at(-1)).toBe('403');
      expect(onCopy.seen.at(-1)?.binary).toBe('unknown');
      expect(onCopy.seen.at(-1)?.reason).toContain('deleted or replaced');
      expect(onCopy.served).not.toContain('/deleted');
    } finally {
      await onCopy.close();
    }
  });

  it('a binary whose path now holds another file (an upgrade, or a swap) is unknown until it runs the new one', async () => {
    const tool = join(dir, 'tool-swap');
    linkOrCopy(NODE, tool);
    const onTool = await startIdentityProxy([tool]);
    try {
      // Started as the file at the path; the path then gets another file (rename over it, as package managers do).
      const waiting = `process.stdin.once('data', () => { ${CLIENT} });`;
      const child = spawn(tool, ['-e', waiting], {
        env: { ...process.env, PROXY_HOST: '127.0.0.1', PROXY_PORT: String(onTool.port), REQUEST: onTool.request('/swapped') },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      await once(child, 'spawn');
      writeFileSync(`${tool}.new`, '#!/bin/sh\n');
      renameSync(`${tool}.new`, tool);
      child.stdin!.end('go\n');
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      expect(statusOf(String(line))).toBe(403);
      expect(onTool.seen.at(-1)).toMatchObject({ binary: 'unknown' });
      expect(onTool.served).not.toContain('/swapped');
      // The path's new file, run, is that path.
      linkOrCopy(NODE, `${tool}.new`);
      renameSync(`${tool}.new`, tool);
      const again = spawn(tool, ['-e', CLIENT], {
        env: { ...process.env, PROXY_HOST: '127.0.0.1', PROXY_PORT: String(onTool.port), REQUEST: onTool.request('/new') },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const [answer] = (await once(again.stdout!, 'data')) as [Buffer];
      expect(statusOf(String(answer))).toBe(200);
      expect(onTool.seen.at(-1)).toMatchObject({ binary: tool });
    } finally {
      await onTool.close();
    }
  });
});
