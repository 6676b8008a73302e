// bench/identity: what one binary-identity lookup costs on a live connection, before and after hardening, in
// the same run. "Before" is the lookup as it was (bench/identity-before: the first holder found wins, steered
// by hints); "after" is what the proxy now does per connection: the quick look at accept (lookAtArrival) and
// the full look when the request is decided (identifySocket: every process's fd table is read, every holder
// counts, each holder's binary is proven by device and inode and user namespace). Measured on CONNECTIONS
// live connections from one client process, first as the machine is, then with IDLE_PROCESSES more processes
// (a scan reads them all).
// As root, also a client in a network namespace of its own (`run --isolate`): sock_diag made inside that
// namespace vs reading /proc/<pid>/net/tcp, and the whole lookup with and without the agent registered.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { forgetHolders } from './identity-before/owner-cache.js';
import { findSocketOwner as firstHolder } from './identity-before/socket-owner.js';
import { lookAtArrival } from '../src/core/identity/arrival.js';
import { forgetExecutables } from '../src/core/identity/executable-proof.js';
import { forgetHolders as forgetRecentHolders } from '../src/core/identity/owner-cache.js';
import { listPids } from '../src/core/identity/proc.js';
import { processTree } from '../src/core/identity/process-tree.js';
import { sockDiagAvailable, sockDiagInodeInNetns } from '../src/core/identity/sock-diag.js';
import { scanInJavaScript, socketHolders } from '../src/core/identity/socket-holders.js';
import { identifySocket } from '../src/core/identity/socket-owner.js';
import { findClientInode, findClientInodeInProc } from '../src/core/identity/tcp-table.js';
import { formatTable, percentile } from './table.js';

const CONNECTIONS = 200;
const IDLE_PROCESSES = 50;

// Opens COUNT connections to PORT (on HOST) and holds them.
const CLIENT = `
const net = require('net');
const kept = [];
// Each line on stdin is a port on 127.0.0.1 to open one more connection to (the quick-look rounds).
process.stdin.on('data', (d) => { for (const port of String(d).split('\\n').filter(Boolean)) kept.push(net.connect(Number(port), '127.0.0.1')); });
let open = 0;
for (let i = 0; i < Number(process.env.COUNT); i++) {
  net.connect(Number(process.env.PORT), process.env.HOST, () => { if (++open === Number(process.env.COUNT)) console.log('ready'); });
}
setInterval(() => {}, 1 << 30);`;

type Ends = readonly [{ address: string; port: number }, { address: string; port: number }];
const ends = (s: Socket): Ends => [
  { address: s.remoteAddress!, port: s.remotePort! },
  { address: s.localAddress!, port: s.localPort! },
];

interface Stats {
  mean: number;
  p99: number;
  /** CPU of this process (all threads) per lookup, µs. */
  cpu: number;
}

/** One lookup at a time; `found` rejects a wrong answer so a broken lookup cannot look fast. */
async function timeEach(
  sockets: Socket[],
  lookup: (socket: Socket) => Promise<unknown>,
  found: (answer: unknown) => boolean,
): Promise<Stats> {
  for (const socket of sockets.slice(0, 10)) await lookup(socket); // warm up
  const samples: number[] = [];
  const cpu = process.cpuUsage();
  for (const socket of sockets) {
    const start = process.hrtime.bigint();
    const answer = await lookup(socket);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
    if (!found(answer)) throw new Error(`bench lookup gave a wrong answer: ${JSON.stringify(answer)}`);
  }
  const used = process.cpuUsage(cpu);
  samples.sort((a, b) => a - b);
  return {
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    p99: percentile(samples, 0.99),
    cpu: (used.user + used.system) / sockets.length,
  };
}

/** Every lookup started together: wall time and CPU per lookup (amortised), and the p99 time to an answer. */
async function burst(sockets: Socket[], lookup: (socket: Socket) => Promise<unknown>, found: (answer: unknown) => boolean): Promise<Stats> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const latencies = await Promise.all(
    sockets.map(async (socket) => {
      const answer = await lookup(socket);
      if (!found(answer)) throw new Error(`bench lookup gave a wrong answer: ${JSON.stringify(answer)}`);
      return Number(process.hrtime.bigint() - start) / 1000;
    }),
  );
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  return {
    mean: latencies[latencies.length - 1] / sockets.length,
    p99: percentile(latencies, 0.99),
    cpu: (used.user + used.system) / sockets.length,
  };
}

/**
 * The quick look as the proxy takes it: the moment a fresh connection from `client` (an agent, holding
 * CONNECTIONS connections already) is accepted. `cold`: nothing known about the client beforehand.
 */
async function quickLooks(client: ChildProcess, cold: boolean): Promise<Stats & { found: number }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const samples: number[] = [];
  let found = 0;
  const cpu = process.cpuUsage();
  server.on('connection', (socket) => {
    if (cold) forgetRecentHolders();
    const start = process.hrtime.bigint();
    const arrival = lookAtArrival(...ends(socket), [client.pid!]);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
    if (arrival?.holder?.pid === client.pid) found++;
  });
  const rounds = 100;
  for (let i = 0; i < rounds; i++) {
    const accepted = once(server, 'connection');
    client.stdin!.write(`${(server.address() as AddressInfo).port}\n`);
    await accepted;
  }
  const used = process.cpuUsage(cpu);
  server.close();
  samples.sort((a, b) => a - b);
  return {
    mean: samples.reduce((a, b) => a + b, 0) / rounds,
    p99: percentile(samples, 0.99),
    cpu: (used.user + used.system) / rounds,
    found,
  };
}

/** A client process holding CONNECTIONS connections to a server on `host`; `prefix` runs it elsewhere (ip netns exec). */
async function clientWithConnections(host: string, prefix: string[] = []) {
  const server: Server = createServer();
  const sockets: Socket[] = [];
  server.on('connection', (socket) => sockets.push(socket));
  server.listen(0, host);
  await once(server, 'listening');
  const client = spawn(prefix[0] ?? process.execPath, [...prefix.slice(1), ...(prefix.length ? [process.execPath] : []), '-e', CLIENT], {
    env: { ...process.env, HOST: host, PORT: String((server.address() as AddressInfo).port), COUNT: String(CONNECTIONS) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await once(client.stdout!, 'data');
  while (sockets.length < CONNECTIONS) await new Promise((resolve) => setImmediate(resolve));
  return {
    client,
    sockets,
    close() {
      client.kill('SIGKILL');
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

export async function benchIdentity(): Promise<string> {
  if (process.platform !== 'linux') return 'skipped: binary identity reads Linux /proc\n';
  const children: ChildProcess[] = [];
  const closers: Array<() => void> = [];
  try {
    const { client, sockets, close } = await clientWithConnections('127.0.0.1');
    closers.push(close);
    const isClient = (pid: number | undefined) => pid === client.pid;
    const rows: string[][] = [];
    let before: Stats | undefined;
    const row = (name: string, stats: Stats, baseline?: Stats) =>
      rows.push([
        name,
        String(listPids().length),
        stats.mean.toFixed(0),
        stats.p99.toFixed(0),
        stats.cpu.toFixed(0),
        baseline ? `${(stats.cpu / baseline.cpu).toFixed(1)}×` : '',
      ]);

    const measureAll = async () => {
      const agentPids = await processTree(client.pid!);
      const oldAnswer = (a: unknown) => isClient((a as { pid?: number } | undefined)?.pid);
      const newAnswer = (a: unknown) => isClient((a as { pid?: number }).pid) && (a as { binary: string }).binary !== 'unknown';
      row(
        'socket inode: /proc/net/tcp read',
        await timeEach(
          sockets,
          (s) => findClientInodeInProc(...ends(s)),
          (a) => typeof a === 'number',
        ),
      );
      row(
        `socket inode: ${sockDiagAvailable() ? 'sock_diag (native)' : 'sock_diag not built: /proc'}`,
        await timeEach(
          sockets,
          (s) => findClientInode(...ends(s)),
          (a) => typeof a === 'number',
        ),
      );
      before = await timeEach(sockets, (s) => (forgetHolders(), firstHolder(...ends(s), { candidatePids: agentPids })), oldAnswer);
      row('before: first holder, agent tree searched first (cold)', before);
      forgetHolders();
      row('before: first holder, hints from the last lookups', await timeEach(sockets, (s) => firstHolder(...ends(s)), oldAnswer));
      forgetHolders();
      row(
        'every holder: native scan alone',
        await timeEach(
          sockets,
          async (s) => (await socketHolders((await findClientInode(...ends(s)))!)).holders[0],
          (a) => isClient((a as { pid: number }).pid),
        ),
        before,
      );
      row(
        'every holder: JavaScript scan alone (no addon)',
        await timeEach(
          sockets.slice(0, 40),
          async (s) => {
            const inode = (await findClientInode(...ends(s)))!;
            return (await scanInJavaScript(new Set([inode]))).holders.get(inode)?.[0];
          },
          (a) => isClient((a as { pid: number }).pid),
        ),
        before,
      );
      const cold = await quickLooks(client, true);
      row(`after: quick look at accept, cold (found ${cold.found}%)`, cold, before);
      const followed = await quickLooks(client, false);
      row(`after: quick look at accept, followed (found ${followed.found}%)`, followed, before);
      forgetRecentHolders();
      row(
        'after: identifySocket (every holder, proven)',
        await timeEach(sockets, (s) => (forgetExecutables(), identifySocket(...ends(s), { agentPids })), newAnswer),
        before,
      );
      row(
        'before: burst, all at once (amortised)',
        await burst(sockets, (s) => firstHolder(...ends(s), { candidatePids: agentPids }), oldAnswer),
      );
      forgetHolders();
      row(
        'after: burst, all at once (amortised)',
        await burst(sockets, (s) => identifySocket(...ends(s), { agentPids }), newAnswer),
        before,
      );
    };

    await measureAll();
    for (let i = 0; i < IDLE_PROCESSES; i++) {
      const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
      children.push(sleeper);
      await once(sleeper, 'spawn');
    }
    await measureAll();

    let out = `One lookup on each of ${CONNECTIONS} live connections from one client process, first as the machine is, then with\n`;
    out += `${IDLE_PROCESSES} idle \`sleep 60\` processes added. "before" = the lookup before this hardening (first holder wins);\n`;
    out += '"after" = every holder read and each binary proven. CPU is this process, all threads; the ratio is CPU against the\n';
    out += 'cold "before" row of the same pass.\n';
    out += formatTable(['lookup', 'procs', 'mean µs', 'p99 µs', 'CPU µs', 'CPU vs before'], rows);
    if (process.getuid?.() === 0) out += await benchOtherNamespace(closers);
    return out;
  } finally {
    for (const child of children) child.kill('SIGKILL');
    for (const close of closers) close();
  }
}

/** A client in a network namespace of its own, reached over a veth pair. */
async function benchOtherNamespace(closers: Array<() => void>): Promise<string> {
  const id = randomBytes(3).toString('hex');
  const name = `ostbench-${id}`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  ip('netns', 'add', name);
  closers.push(() => ip('netns', 'del', name));
  ip('link', 'add', `ostbo${id}`, 'type', 'veth', 'peer', 'name', `ostbi${id}`);
  ip('link', 'set', `ostbi${id}`, 'netns', name);
  ip('addr', 'add', '198.18.255.1/30', 'dev', `ostbo${id}`);
  ip('link', 'set', `ostbo${id}`, 'up');
  ip('-n', name, 'link', 'set', 'lo', 'up');
  ip('-n', name, 'addr', 'add', '198.18.255.2/30', 'dev', `ostbi${id}`);
  ip('-n', name, 'link', 'set', `ostbi${id}`, 'up');
  const { client, sockets, close } = await clientWithConnections('198.18.255.1', ['ip', 'netns', 'exec', name]);
  closers.unshift(close);
  const pid = client.pid!;
  const rows: string[][] = [];
  const row = (label: string, stats: Stats) => rows.push([label, stats.mean.toFixed(0), stats.p99.toFixed(0), stats.cpu.toFixed(0)]);
  const named = (a: unknown) => (a as { pid?: number }).pid === pid && (a as { binary: string }).binary !== 'unknown';
  row(
    'socket inode: /proc/<pid>/net/tcp read',
    await timeEach(
      sockets,
      (s) => findClientInodeInProc(...ends(s), `/proc/${pid}/net`),
      (a) => typeof a === 'number',
    ),
  );
  row(
    'socket inode: sock_diag made inside the namespace',
    await timeEach(
      sockets,
      async (s) => sockDiagInodeInNetns(pid, ...ends(s)),
      (a) => typeof a === 'number',
    ),
  );
  row('identifySocket, agent registered', await timeEach(sockets, (s) => identifySocket(...ends(s), { agentPids: [pid] }), named));
  row('identifySocket, not registered (every namespace asked)', await timeEach(sockets, (s) => identifySocket(...ends(s)), named));
  let out = `\nA client in its own network namespace (as under run --isolate), ${CONNECTIONS} connections over a veth pair:\n`;
  out += formatTable(['lookup', 'mean µs', 'p99 µs', 'CPU µs'], rows);
  return out;
}
