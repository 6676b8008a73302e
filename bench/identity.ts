// bench/identity: cost of one binary-identity lookup (findSocketOwner) on a live connection, with the
// agent's process tree as candidatePids vs a whole-/proc scan, before and after 50 idle processes join
// the table. Also the two parts on their own (the /proc/net/tcp read, processTree), and a burst of
// concurrent lookups, which share table reads.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { forgetHolders } from '../src/core/identity/owner-cache.js';
import { listPids } from '../src/core/identity/proc.js';
import { processTree } from '../src/core/identity/process-tree.js';
import { findSocketOwner } from '../src/core/identity/socket-owner.js';
import { findClientInode, findClientInodeInProc } from '../src/core/identity/tcp-table.js';
import { sockDiagAvailable } from '../src/core/identity/sock-diag.js';
import { formatTable, percentile } from './table.js';

const CONNECTIONS = 200;
const IDLE_PROCESSES = 50;

// Opens COUNT connections to PORT and holds them.
const CLIENT = `
const net = require('net');
let open = 0;
for (let i = 0; i < Number(process.env.COUNT); i++) {
  net.connect(Number(process.env.PORT), '127.0.0.1', () => { if (++open === Number(process.env.COUNT)) console.log('ready'); });
}
setInterval(() => {}, 1 << 30);`;

async function timeEach(sockets: Socket[], lookup: (socket: Socket) => Promise<unknown>) {
  for (const socket of sockets.slice(0, 10)) await lookup(socket); // warm up
  const samples: number[] = [];
  for (const socket of sockets) {
    const start = process.hrtime.bigint();
    const found = await lookup(socket);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
    if (found === undefined) throw new Error('bench lookup found nothing');
  }
  samples.sort((a, b) => a - b);
  return { mean: samples.reduce((a, b) => a + b, 0) / samples.length, p99: percentile(samples, 0.99) };
}

/** Every lookup started together: amortised cost per lookup, and the p99 time to an answer. */
async function burst(sockets: Socket[], lookup: (socket: Socket) => Promise<unknown>): Promise<[string, string]> {
  const start = process.hrtime.bigint();
  const latencies = await Promise.all(
    sockets.map(async (socket) => {
      if ((await lookup(socket)) === undefined) throw new Error('bench lookup found nothing');
      return Number(process.hrtime.bigint() - start) / 1000;
    }),
  );
  latencies.sort((a, b) => a - b);
  return [(latencies[latencies.length - 1] / sockets.length).toFixed(0), percentile(latencies, 0.99).toFixed(0)];
}

export async function benchIdentity(): Promise<string> {
  if (process.platform !== 'linux') return 'skipped: binary identity reads Linux /proc\n';
  const children: ChildProcess[] = [];
  const server = createServer();
  const sockets: Socket[] = [];
  server.on('connection', (socket) => sockets.push(socket));
  try {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const client = spawn(process.execPath, ['-e', CLIENT], {
      env: { ...process.env, PORT: String(port), COUNT: String(CONNECTIONS) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(client);
    await once(client.stdout!, 'data');
    while (sockets.length < CONNECTIONS) await new Promise((resolve) => setImmediate(resolve));

    const ends = (s: Socket) =>
      [
        { address: s.remoteAddress!, port: s.remotePort! },
        { address: s.localAddress!, port: s.localPort! },
      ] as const;
    const rows: string[][] = [];
    const row = (name: string, stats: { mean: number; p99: number }) =>
      rows.push([name, String(listPids().length), stats.mean.toFixed(0), stats.p99.toFixed(0)]);

    const measureAll = async () => {
      const candidatePids = await processTree(client.pid!);
      row('socket inode: /proc/net/tcp read (baseline)', await timeEach(sockets, (s) => findClientInodeInProc(...ends(s))));
      row(
        `socket inode: ${sockDiagAvailable() ? 'sock_diag (native)' : 'sock_diag not built: /proc'}`,
        await timeEach(sockets, (s) => findClientInode(...ends(s))),
      );
      row('processTree(agent)', await timeEach(sockets, () => processTree(client.pid!)));
      row('candidatePids (agent tree)', await timeEach(sockets, (s) => (forgetHolders(), findSocketOwner(...ends(s), { candidatePids }))));
      row('whole table, cold', await timeEach(sockets, (s) => (forgetHolders(), findSocketOwner(...ends(s)))));
      forgetHolders();
      row('whole table, recent holder', await timeEach(sockets, (s) => findSocketOwner(...ends(s))));
      forgetHolders();
      rows.push([
        'burst: all at once, amortised',
        String(listPids().length),
        ...(await burst(sockets, (s) => findSocketOwner(...ends(s), { candidatePids }))),
      ]);
      forgetHolders();
    };

    await measureAll();
    for (let i = 0; i < IDLE_PROCESSES; i++) {
      const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
      children.push(sleeper);
      await once(sleeper, 'spawn');
    }
    await measureAll();

    let out = `findSocketOwner on ${CONNECTIONS} live connections from one client process; µs per lookup,\n`;
    out += `first as the machine is, then with ${IDLE_PROCESSES} idle \`sleep 60\` processes added (newer pids, so scanned first)\n`;
    out += formatTable(['lookup', 'procs', 'mean µs', 'p99 µs'], rows);
    return out;
  } finally {
    for (const child of children) child.kill('SIGKILL');
    for (const socket of sockets) socket.destroy();
    server.close();
  }
}
