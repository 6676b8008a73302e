// A real core and egress proxy with binary identity on, for the identity attack tests: one upstream
// (allowed.test) that only the binaries named may reach; requests from anything else are denied at once
// (no hold). Every identity the proxy was given, every warning the identifier sent and every request the
// upstream served are recorded, so a test can tell what was decided for whom.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { realpathSync } from 'node:fs';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { socketIdentifier } from '../../src/core/identity/identify-socket.js';
import { Resolver } from '../../src/core/net/resolver.js';
import { EgressProxy, type ClientIdentity } from '../../src/core/proxy/egress-proxy.js';

export const root = process.platform === 'linux' && process.getuid?.() === 0;
export const NODE = realpathSync(process.execPath);

/** The real path of a program on PATH, or undefined. */
export function which(program: string): string | undefined {
  try {
    return realpathSync(execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

export const CURL = which('curl');
/** python3's real binary (PATH may hold a wrapper script, e.g. pyenv's shim, that execs it). */
export const PYTHON = (() => {
  try {
    return execFileSync('python3', ['-c', 'import os, sys; print(os.path.realpath(sys.executable))'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
})();

/** Whether `command` runs (exit 0): e.g. whether unprivileged user namespaces are allowed here. */
export function works(command: string[]): boolean {
  try {
    execFileSync(command[0], command.slice(1), { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Runs a command as nobody (via setpriv when we are root). */
export const asNobody = root ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] : [];

export interface IdentityProxy {
  /** host:port of the proxy. */
  host: string;
  port: number;
  upstreamPort: number;
  /** `GET http://allowed.test:<port><path>` as a raw request. */
  request(path: string): string;
  core: EnforcementCore;
  proxy: EgressProxy;
  /** Identities given to the proxy, in order. */
  seen: ClientIdentity[];
  warnings: string[];
  /** Paths the upstream served. */
  served: string[];
  /** Agent root pids handed to socketIdentifier. */
  agents: Set<number>;
  close(): Promise<void>;
}

export async function startIdentityProxy(allowedBinaries: string[], listenHost = '127.0.0.1'): Promise<IdentityProxy> {
  const served: string[] = [];
  const upstream = createHttpServer((req, res) => {
    served.push(req.url ?? '');
    res.end('upstream');
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const upstreamPort = (upstream.address() as AddressInfo).port;
  const core = new EnforcementCore({
    baseline: {
      version: 1,
      network_policies: {
        allowed: {
          name: 'allowed',
          endpoints: [{ host: 'allowed.test', port: upstreamPort }],
          binaries: allowedBinaries.map((path) => ({ path })),
        },
      },
    },
    holdTimeoutMs: 0,
  });
  const seen: ClientIdentity[] = [];
  const warnings: string[] = [];
  const agents = new Set<number>();
  const identify = socketIdentifier(() => agents, { warn: (message) => warnings.push(message) });
  const proxy = new EgressProxy({
    core,
    resolver: new Resolver(['allowed.test:127.0.0.1']),
    allowLoopback: true,
    identify: Object.assign(
      async (socket: Socket) => {
        const who = await identify(socket);
        seen.push(who);
        return who;
      },
      { arrived: identify.arrived },
    ),
  });
  const { port } = await proxy.listen(listenHost, 0);
  return {
    host: listenHost,
    port,
    upstreamPort,
    request: (path) => `GET http://allowed.test:${upstreamPort}${path} HTTP/1.1\r\nHost: allowed.test\r\nConnection: close\r\n\r\n`,
    core,
    proxy,
    seen,
    warnings,
    served,
    agents,
    async close() {
      core.shutdown();
      await proxy.close();
      await new Promise((resolve) => upstream.close(resolve));
    },
  };
}

/** A TCP server that accepts and never answers: keeps a client (curl) alive and idle as long as needed. */
export async function blackhole(): Promise<{ port: number; close(): void }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => sockets.push(socket.on('error', () => {})));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** Starts a process and collects its output; `lines()` resolves with stdout once it exits. */
export function run(
  command: string[],
  options: SpawnOptions = {},
): { child: ChildProcess; output: Promise<{ stdout: string; stderr: string; code: number | null }> } {
  const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const output = new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) =>
    child.once('close', (code) => resolve({ stdout, stderr, code })),
  );
  return { child, output };
}

/** Waits until `check` holds (polling every 20 ms, up to 10 s). */
export async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The status code of the first HTTP response line in `text` (0 when there is none). */
export function statusOf(text: string): number {
  return Number(/HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}
