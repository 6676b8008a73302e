// bench/core (flood): what an agent flooding the core costs, and what deciding a big inbox costs, against
// baselines measured in the same run. Real `openshell-term core` processes, real proxy sockets, the real CLI.
//   flood: 15,000 requests to 15,000 distinct hosts (4 KiB paths) vs the same 15,000 to one host:
//          time, inbox size, requests refused over --max-pending, core RSS (now and peak)
//   approve-all of 1,000 and 3,000 entries from the CLI vs one `approve` from the CLI (the CLI's own start-up
//          is in every row; the baseline shows how much of each row it is); revisions added
//   the same in the core alone (this process), and the cost of one more approval after them
//   feed snapshot: hello size and time, then paging through every entry, vs the hello of an empty inbox;
//          and the legacy one-message `requests` reply
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { formatTable } from '../table.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'openshell-term.js');

interface Core {
  child: ChildProcess;
  dir: string;
  proxyPort: number;
  ws: string;
  stop(): Promise<void>;
}

async function startCore(extra: string[]): Promise<Core> {
  const dir = mkdtempSync(join(tmpdir(), 'ost-bench-core-'));
  const child = spawn(process.execPath, [BIN, 'core', '--state-dir', dir, '--proxy-listen', '127.0.0.1:0', ...extra], { stdio: 'ignore' });
  for (let i = 0; i < 600; i++) {
    try {
      const info = JSON.parse(readFileSync(join(dir, 'core.json'), 'utf8'));
      if (info.pid === child.pid) {
        return {
          child,
          dir,
          proxyPort: Number(info.proxy.split(':').pop()),
          ws: info.ws,
          stop: () =>
            new Promise((resolve) => {
              if (child.exitCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        };
      }
    } catch {
      // not written yet
    }
    if (child.exitCode !== null) throw new Error('core exited early');
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('core did not start');
}

function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** GETs through the proxy, 32 keep-alive connections; returns ms and responses by status. */
async function flood(port: number, hosts: (i: number) => string, count: number, path: (i: number) => string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const statuses: Record<number, number> = {};
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const host = hosts(i);
      await new Promise<void>((resolve) => {
        const req = request({ host: '127.0.0.1', port, agent, path: `http://${host}${path(i)}`, headers: { host } }, (res) => {
          statuses[res.statusCode!] = (statuses[res.statusCode!] ?? 0) + 1;
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', () => resolve());
        req.end();
      });
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  agent.destroy();
  return { ms: performance.now() - started, statuses };
}

function cli(args: string[]): Promise<{ ms: number; code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('close', (code) => resolve({ ms: performance.now() - started, code, stdout }));
  });
}

interface Feed {
  ws: WebSocket;
  next(): Promise<{ text: string; ms: number }>;
  command(cmd: Record<string, unknown>): Promise<{ text: string; data: { requests?: unknown[]; next?: string } }>;
}

function openFeed(core: Core): Promise<Feed & { hello: { text: string; ms: number } }> {
  const token = readFileSync(join(core.dir, 'control.token'), 'utf8').trim();
  const started = performance.now();
  const ws = new WebSocket(core.ws, { headers: { authorization: `Bearer ${token}` }, maxPayload: 1024 * 1024 * 1024 });
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (d) => {
    queue.push(d.toString());
    wake?.();
  });
  const next = async () => {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    return { text: queue.shift()!, ms: performance.now() - started };
  };
  let ref = 0;
  const command = async (cmd: Record<string, unknown>) => {
    const id = `b${++ref}`;
    ws.send(JSON.stringify({ ...cmd, ref: id }));
    for (;;) {
      const { text } = await next();
      const frame = JSON.parse(text);
      if (frame.type === 'result' && frame.ref === id) return { text, data: frame.data };
    }
  };
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', async () => resolve({ ws, next, command, hello: await next() }));
  });
}

const KiB = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (n: number) => `${n.toFixed(0)} ms`;
const ratio = (x: number, base: number) => `${(x / base).toFixed(2)}×`;
const longPath = (i: number) => `/${'p'.repeat(4096)}/${i}`;

async function benchFlood(): Promise<string> {
  const count = 15_000;
  const rows: string[][] = [];
  for (const [name, hosts] of [
    ['15,000 requests, 1 host (baseline)', () => 'one.flood.test'],
    ['15,000 requests, 15,000 distinct hosts', (i: number) => `h${i}.flood.test`],
  ] as const) {
    const core = await startCore(['--hold-timeout', '0']);
    const idle = memory(core.child.pid!);
    const r = await flood(core.proxyPort, hosts, count, longPath);
    const after = memory(core.child.pid!);
    const feed = await openFeed(core);
    const health = (await feed.command({ type: 'health' })).data as unknown as { inbox: { pending: number; refused: number } };
    feed.ws.close();
    await core.stop();
    rows.push([
      name,
      ms(r.ms),
      String(Math.round((count / r.ms) * 1000)),
      String(r.statuses[403] ?? 0),
      String(health.inbox.pending),
      String(health.inbox.refused),
      `${idle.rss.toFixed(0)} MiB`,
      `${after.rss.toFixed(0)} MiB`,
      `${after.peak.toFixed(0)} MiB`,
    ]);
  }
  return `Flood (real core process, --hold-timeout 0, default --max-pending 1000, 4 KiB paths)\n${formatTable(
    ['run', 'time', 'req/s', '403s', 'inbox', 'refused', 'RSS idle', 'RSS after', 'RSS peak'],
    rows,
  )}`;
}

async function benchApproveAll(): Promise<string> {
  const rows: string[][] = [];
  let baseline = 0;
  for (const size of [1, 1000, 3000]) {
    const core = await startCore(['--hold-timeout', '0', '--max-pending', '3000']);
    await flood(
      core.proxyPort,
      (i) => `a${i}.approve.test`,
      size,
      (i) => `/x/${i}`,
    );
    const before = JSON.parse((await cli(['policy', 'revisions', '--json', '--state-dir', core.dir])).stdout).length;
    const rss = memory(core.child.pid!).rss;
    const run = size === 1 ? await cli(['approve', 'r1', '--state-dir', core.dir]) : await cli(['approve-all', '--state-dir', core.dir]);
    const after = JSON.parse((await cli(['policy', 'revisions', '--json', '--state-dir', core.dir])).stdout).length;
    const mem = memory(core.child.pid!);
    await core.stop();
    if (run.code !== 0) throw new Error(`approve failed for ${size}`);
    if (size === 1) baseline = run.ms;
    rows.push([
      size === 1 ? 'approve 1 entry (baseline)' : `approve-all ${size.toLocaleString('en')} entries`,
      ms(run.ms),
      ratio(run.ms, baseline),
      ms(run.ms - baseline),
      String(after - before),
      `${rss.toFixed(0)} → ${mem.rss.toFixed(0)} MiB`,
    ]);
  }
  return `Approve-all from the CLI (a real \`openshell-term\` process against a real core; every row includes the CLI's start-up)\n${formatTable(
    ['command', 'time', 'vs baseline', 'beyond baseline', 'revisions added', 'core RSS'],
    rows,
  )}`;
}

/** The core alone (in this process): approveAll of N entries vs approve of one, best of 3; and one more approve after them. */
async function benchApproveInCore(): Promise<string> {
  const rows: string[][] = [];
  let baseline = 0;
  for (const size of [1, 1000, 3000]) {
    const times: number[] = [];
    const after: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const core = new EnforcementCore({ baseline: { version: 1, network_policies: {} }, holdTimeoutMs: 0, maxPending: size + 1 });
      for (let i = 0; i < size; i++) await core.evaluate({ host: `c${rep}x${i}.approve.test`, port: 443, binary: '/usr/bin/curl' });
      const started = performance.now();
      if (size === 1) core.approve('r1');
      else core.approveAll();
      times.push(performance.now() - started);
      await core.evaluate({ host: `one-more${rep}.approve.test`, port: 443, binary: '/usr/bin/curl' });
      const next = performance.now();
      core.approve(`r${size + 1}`);
      after.push(performance.now() - next);
      await core.shutdown();
    }
    const best = Math.min(...times);
    if (size === 1) baseline = best;
    rows.push([
      size === 1 ? 'approve 1 entry (baseline)' : `approveAll ${size.toLocaleString('en')} entries`,
      `${best.toFixed(1)} ms`,
      `${(best / size).toFixed(3)} ms`,
      ratio(best, baseline),
      `${Math.min(...after).toFixed(1)} ms`,
    ]);
  }
  return `Approve in the core alone (best of 3; one revision each)\n${formatTable(
    ['operation', 'time', 'per entry', 'vs baseline', 'then one more approve'],
    rows,
  )}`;
}

async function benchSnapshot(): Promise<string> {
  const rows: string[][] = [];
  let baseline = 0;
  for (const size of [0, 1000, 3000]) {
    const core = await startCore(['--hold-timeout', '0', '--max-pending', '3000']);
    if (size > 0) await flood(core.proxyPort, (i) => `s${i}.snapshot.test`, size, longPath);
    const feed = await openFeed(core);
    const helloBytes = Buffer.byteLength(feed.hello.text);
    const helloMs = feed.hello.ms;
    if (size === 0) baseline = helloMs;
    const hello = JSON.parse(feed.hello.text) as { pending: unknown[]; next?: string };
    let pages = 0;
    let bytes = 0;
    let entries = hello.pending.length;
    const pageStart = performance.now();
    for (let after = hello.next; after; ) {
      const page = await feed.command({ type: 'requests.page', after, limit: 200 });
      pages++;
      bytes += Buffer.byteLength(page.text);
      entries += page.data.requests?.length ?? 0;
      after = page.data.next;
    }
    const pageMs = performance.now() - pageStart;
    const legacyStart = performance.now();
    const legacy = await feed.command({ type: 'requests' });
    const legacyMs = performance.now() - legacyStart;
    feed.ws.close();
    await core.stop();
    rows.push([
      size === 0 ? 'empty inbox (baseline)' : `${size.toLocaleString('en')} entries`,
      KiB(helloBytes),
      ms(helloMs),
      ratio(helloMs, baseline),
      `${pages} / ${KiB(bytes)} / ${ms(pageMs)}`,
      String(entries),
      `${KiB(Buffer.byteLength(legacy.text))} / ${ms(legacyMs)}`,
    ]);
  }
  return `Feed snapshot (connect → hello; then requests.page of 200 until done; 4 KiB paths, stored cut to 512 characters)\n${formatTable(
    ['inbox', 'hello size', 'hello time', 'vs baseline', 'pages / bytes / time', 'entries seen', 'legacy requests reply'],
    rows,
  )}`;
}

export async function benchCoreFlood(): Promise<string> {
  return [await benchFlood(), await benchApproveAll(), await benchApproveInCore(), await benchSnapshot()].join('\n');
}
