// Identity trick 2: a connection made by one program but held (also) by an allowed one. Real processes, a
// real proxy and core: only the allowed binary (curl, or python where the attack needs a receiver) may reach
// allowed.test. The attacker's own binary is python run through the dynamic loader where it must differ
// from the receiver's (its /proc/<pid>/exe is then the loader).
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { blackhole, CURL, PYTHON, run, startIdentityProxy, statusOf, until, which, type IdentityProxy } from './harness.js';

const linux = process.platform === 'linux';
const LOADER = which({ x64: '/lib64/ld-linux-x86-64.so.2', arm64: '/lib/ld-linux-aarch64.so.1' }[process.arch as string] ?? '/nonexistent');

let proxy: IdentityProxy;
let hole: Awaited<ReturnType<typeof blackhole>>;
let dir: string;
const cleanups: Array<() => void> = [];

beforeAll(async () => {
  proxy = await startIdentityProxy([CURL ?? '/usr/bin/curl', PYTHON ?? '/usr/bin/python3']);
  hole = await blackhole();
  dir = mkdtempSync(join(tmpdir(), 'ost-borrowed-'));
});
beforeEach(() => () => {
  for (const clean of cleanups.splice(0)) clean();
});
afterAll(async () => {
  hole.close();
  await proxy.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Python, given the proxy and the idle curl command in its environment; `agent`: registered as an agent of
 *  the core, as `run` registers what it starts. */
function python(script: string, interpreter: string[] = [PYTHON!], agent = false) {
  const started = run([...interpreter, '-c', script], {
    env: {
      ...process.env,
      HOST: proxy.host,
      PORT: String(proxy.port),
      CURL: CURL!,
      PYTHON: PYTHON!,
      IDLE: `http://127.0.0.1:${hole.port}/`,
    },
  });
  cleanups.push(() => started.child.kill('SIGKILL'));
  if (agent) {
    proxy.agents.add(started.child.pid!);
    cleanups.push(() => proxy.agents.delete(started.child.pid!));
  }
  return started;
}

// Starts curl, idle on the black hole, holding fd `s` (inherited); returns once it does.
const IDLE_CURL = `
import os, subprocess, time
def idle_curl_holding(s):
    curl = subprocess.Popen([os.environ['CURL'], '-s', '--noproxy', '*', os.environ['IDLE']], pass_fds=[s.fileno()])
    while True:
        try:
            if os.readlink(f'/proc/{curl.pid}/exe') == os.environ['CURL'] and os.path.exists(f'/proc/{curl.pid}/fd/{s.fileno()}'):
                return curl
        except OSError:
            pass
        time.sleep(0.01)
`;

const request = (
  path: string,
) => `REQUEST = b'GET http://allowed.test:' + os.environ['UPSTREAM'].encode() + b'/${path} HTTP/1.1\\r\\nHost: allowed.test\\r\\nConnection: close\\r\\n\\r\\n'
`;

function withUpstream(script: string): string {
  return `import os\nos.environ['UPSTREAM'] = '${proxy.upstreamPort}'\n${script}`;
}

describe.runIf(linux && CURL !== undefined && PYTHON !== undefined)('a socket held by more than one binary', () => {
  it('python makes a socket, hands it to an idle curl child, then connects and asks: not curl', async () => {
    const { output } = python(
      withUpstream(`${IDLE_CURL}
import socket
${request('inherited')}
s = socket.socket()
s.set_inheritable(True)
curl = idle_curl_holding(s)
s.connect((os.environ['HOST'], int(os.environ['PORT'])))
s.sendall(REQUEST)
print(s.recv(200).split(b'\\r\\n')[0].decode(), flush=True)
curl.kill()`),
    );
    const { stdout, stderr } = await output;
    expect(statusOf(stdout), stderr).toBe(403);
    const who = proxy.seen.at(-1)!;
    expect(who.binary).toBe('unknown');
    expect(who.reason).toMatch(/held by processes running different binaries: .*python.*curl|curl.*python/);
    expect(proxy.served).not.toContain('/inherited');
  });

  it.runIf(LOADER !== undefined)(
    'a socket passed with SCM_RIGHTS to an idle allowed receiver, kept and used by its sender: not the receiver',
    async () => {
      // The receiver (python, allowed) takes the socket and keeps it; the sender (python through the loader,
      // so another binary) keeps its copy and drives it.
      const receiver = `
import array, os, socket, time
c = socket.socket(fileno=int(os.environ['PAIR']))
msg, anc, flags, addr = c.recvmsg(1, socket.CMSG_LEN(4))
held = array.array('i'); held.frombytes(anc[0][2])
c.send(b'k')
time.sleep(60)`;
      const { output } = python(
        withUpstream(`
import array, socket, subprocess
${request('passed')}
a, b = socket.socketpair()
r = subprocess.Popen([os.environ['PYTHON'], '-c', ${JSON.stringify(receiver)}], pass_fds=[b.fileno()], env={'PAIR': str(b.fileno())})
s = socket.socket()
a.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [s.fileno()]))])
a.recv(1)
s.connect((os.environ['HOST'], int(os.environ['PORT'])))
s.sendall(REQUEST)
print(s.recv(200).split(b'\\r\\n')[0].decode(), flush=True)
r.kill()`),
        [LOADER!, PYTHON!],
      );
      const { stdout, stderr } = await output;
      expect(statusOf(stdout), stderr).toBe(403);
      expect(proxy.seen.at(-1)).toMatchObject({ binary: 'unknown' });
      expect(proxy.seen.at(-1)!.reason).toContain(LOADER!);
      expect(proxy.served).not.toContain('/passed');
    },
  );

  it('a copy kept in a thread with a fd table of its own (unshare(CLONE_FILES)) still counts', async () => {
    // /proc/<pid>/fd is the main thread's table: the sender closes the socket there and drives it from a
    // thread that unshared its table first. curl holds the other copy.
    const { output } = python(
      withUpstream(`${IDLE_CURL}
import ctypes, socket, threading
${request('thread')}
libc = ctypes.CDLL(None, use_errno=True)
s = socket.socket()
s.set_inheritable(True)
curl = idle_curl_holding(s)
fd = s.fileno()
ready, go, result = threading.Event(), threading.Event(), {}
def worker():
    if libc.unshare(0x400) != 0:  # CLONE_FILES
        raise OSError(ctypes.get_errno(), 'unshare')
    ready.set()
    go.wait()
    t = socket.socket(fileno=fd)
    t.connect((os.environ['HOST'], int(os.environ['PORT'])))
    t.sendall(REQUEST)
    result['status'] = t.recv(200).split(b'\\r\\n')[0].decode()
th = threading.Thread(target=worker)
th.start()
ready.wait()
s.detach()
os.close(fd)
assert not os.path.exists(f'/proc/{os.getpid()}/fd/{fd}')
go.set()
th.join()
print(result['status'], flush=True)
curl.kill()`),
    );
    const { stdout, stderr } = await output;
    expect(statusOf(stdout), stderr).toBe(403);
    expect(proxy.seen.at(-1)).toMatchObject({ binary: 'unknown' });
    expect(proxy.served).not.toContain('/thread');
  });

  it.runIf(LOADER !== undefined)(
    'an agent that connects, writes half a request, then execs curl (which writes the rest) is judged as it connected too',
    async () => {
      const payload = join(dir, 'rest-of-head');
      writeFileSync(payload, '\r\n');
      const before = proxy.seen.length;
      const { child } = python(
        withUpstream(`
import socket, time
s = socket.socket()
s.connect((os.environ['HOST'], int(os.environ['PORT'])))
time.sleep(0.3)
s.sendall(b'GET http://allowed.test:' + os.environ['UPSTREAM'].encode() + b'/exec HTTP/1.1\\r\\nHost: allowed.test\\r\\nConnection: close\\r\\n')
os.dup2(s.fileno(), 1)
os.execv(os.environ['CURL'], ['curl', '-s', 'file://${payload}', '--noproxy', '*', os.environ['IDLE']])`),
        [LOADER!, PYTHON!],
        true,
      );
      // Decided: the denial reaches the inbox, or (the hole) the upstream serves the request.
      await until(
        () => proxy.served.includes('/exec') || proxy.core.listRequests().some((r) => r.samples.some((s) => s.path === '/exec')),
        'a decision',
      );
      child.kill('SIGKILL');
      expect(proxy.served).not.toContain('/exec');
      // Looked at as it arrived (the loader's python), and again when decided (curl): not one binary.
      expect(proxy.seen[before]).toMatchObject({ binary: 'unknown' });
      expect(proxy.seen[before].reason).toContain(`ran ${LOADER} when the connection arrived, and runs ${CURL} now`);
    },
  );

  it.runIf(LOADER !== undefined)(
    'the same from a process with thousands of fds, where no fd search is quick: what it ran is what counts',
    async () => {
      const payload = join(dir, 'rest-of-head-2');
      writeFileSync(payload, '\r\n');
      const before = proxy.seen.length;
      const { child } = python(
        withUpstream(`
import resource, socket, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
padding = [os.open('/dev/null', os.O_RDONLY) for _ in range(min(hard, 4096) - 64)]
os.close(padding[len(padding) // 2])
s = socket.socket()  # lands in the hole in the middle of the table
s.connect((os.environ['HOST'], int(os.environ['PORT'])))
time.sleep(0.3)
s.sendall(b'GET http://allowed.test:' + os.environ['UPSTREAM'].encode() + b'/exec-big HTTP/1.1\\r\\nHost: allowed.test\\r\\nConnection: close\\r\\n')
os.dup2(s.fileno(), 1)
os.execv(os.environ['CURL'], ['curl', '-s', 'file://${payload}', '--noproxy', '*', os.environ['IDLE']])`),
        [LOADER!, PYTHON!],
        true,
      );
      await until(
        () => proxy.served.includes('/exec-big') || proxy.core.listRequests().some((r) => r.samples.some((s) => s.path === '/exec-big')),
        'a decision',
      );
      child.kill('SIGKILL');
      expect(proxy.served).not.toContain('/exec-big');
      expect(proxy.seen[before]).toMatchObject({ binary: 'unknown' });
      expect(proxy.seen[before].reason).toContain(`ran ${LOADER} when the connection arrived, and runs ${CURL} now`);
    },
  );

  it.runIf(LOADER !== undefined)(
    'an agent that connects, hands the socket to a child that execs curl, and exits is still judged',
    async () => {
      // The child (curl) writes the whole request from a file; by then the process that connected is gone, so
      // only the look taken as the connection arrived knows it.
      const whole = join(dir, 'whole-request');
      writeFileSync(whole, proxy.request('/handed-on'));
      const before = proxy.seen.length;
      const { output } = python(
        withUpstream(`
import socket, subprocess, time
s = socket.socket()
s.connect((os.environ['HOST'], int(os.environ['PORT'])))
time.sleep(0.3)
subprocess.Popen([os.environ['CURL'], '-s', 'file://${whole}', '--noproxy', '*', os.environ['IDLE']], stdout=s.fileno(), stderr=subprocess.DEVNULL, start_new_session=True)
os._exit(0)`),
        [LOADER!, PYTHON!],
        true,
      );
      await output;
      await until(() => proxy.seen.length > before, 'a decision');
      expect(proxy.seen[before]).toMatchObject({ binary: 'unknown' });
      expect(proxy.seen[before].reason).toContain('has let go of the socket since');
      expect(proxy.served).not.toContain('/handed-on');
    },
  );
});

describe.runIf(linux && PYTHON !== undefined)('a socket shared by one binary', () => {
  it('python that forks (both hold the socket, neither execs) is python', async () => {
    const { output } = python(
      withUpstream(`
import socket, time
${request('forked')}
s = socket.socket()
if os.fork() == 0:
    os.close(1)
    os.close(2)
    time.sleep(5)
    os._exit(0)
s.connect((os.environ['HOST'], int(os.environ['PORT'])))
s.sendall(REQUEST)
print(s.recv(200).split(b'\\r\\n')[0].decode(), flush=True)`),
    );
    const { stdout, stderr } = await output;
    expect(statusOf(stdout), stderr).toBe(200);
    expect(proxy.seen.at(-1)).toMatchObject({ binary: PYTHON });
    expect(proxy.served).toContain('/forked');
  });
});
