// bench/gateway (issue 5): inbox refresh cost and event latency in gateway mode with 50 sandboxes × 20
// pending chunks. One OpenShellServer on loopback serves 50 embedded cores; the console's GrpcGateway
// (and the bare OpenShellRpc under it) talks to it over real sockets.
//   full resync    gateway.start() → first snapshot with all 1,000 chunks, fresh client and channel each time
//   poll round     ListSandboxes + 50× GetDraftPolicy, 16 at a time (the client's safety net) vs one by one
//   event latency  a new pending request in a core → the client's `request` event (WatchSandbox
//                  draft_policy_update → GetDraftPolicy refetch), against one unary GetDraftPolicy round trip
// Requests are created with core.evaluate() (the proxy's entry point) and a hold timeout of 0: an inbox
// entry, no socket, nothing held.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnforcementCore } from '../src/core/engine/enforcement-core.js';
import { MergeManager } from '../src/core/merges/merge-manager.js';
import { MergedRules } from '../src/core/merges/merged-rules.js';
import { PresetStore } from '../src/core/presets/preset-store.js';
import type { GatewayEvent } from '../src/gateway/gateway.js';
import { resolveConnection } from '../src/gateway/grpc/connection-target.js';
import { DEFAULT_CONCURRENCY, GrpcGateway } from '../src/gateway/grpc/grpc-gateway.js';
import { forEachLimited } from '../src/gateway/grpc/for-each-limited.js';
import { connectionOf, OpenShellRpc, type Message } from '../src/gateway/grpc/openshell-client.js';
import { OpenShellServer, type ServedSandbox } from '../src/gateway/grpc/openshell-server.js';
import { openShellServiceDefinition } from '../src/gateway/grpc/proto.js';
import { formatTable, percentile } from './table.js';

const SANDBOXES = 50;
const CHUNKS_PER_SANDBOX = 20;
const RESYNCS = 10;
const POLL_ROUNDS = 30;
const CONCURRENCY = DEFAULT_CONCURRENCY; // GrpcGateway's
const LATENCY_SAMPLES = 200;
const LOADED_SAMPLES = 100;
const LOAD_PER_SECOND = 100;
const BINARY = '/usr/bin/curl';

interface Stats {
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return {
    p50: percentile(s, 0.5),
    p99: percentile(s, 0.99),
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
    max: s[s.length - 1] ?? 0,
  };
}

const ms = (x: number) => x.toFixed(2);
const ratio = (x: number, base: number) => (base > 0 ? `${(x / base).toFixed(2)}×` : '-');

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`bench/gateway: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const sandboxName = (i: number) => `sb${String(i).padStart(2, '0')}`;

export async function benchGateway(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'ost-bench-gateway-'));
  const consoleDir = join(root, 'console');
  mkdirSync(consoleDir);
  const sandboxes: ServedSandbox[] = [];
  for (let i = 0; i < SANDBOXES; i++) {
    const stateDir = join(root, sandboxName(i));
    mkdirSync(stateDir);
    const merged = await MergedRules.open(stateDir);
    const core = new EnforcementCore({
      baseline: { version: 1, network_policies: {} },
      presetLayers: () => [merged.layer()],
      holdTimeoutMs: 0,
      maxHeld: 1000,
    });
    sandboxes.push({ id: `bench-${i}`, name: sandboxName(i), createdAt: Date.now(), core, merges: new MergeManager(merged, core) });
  }
  let created = 0;
  /** A new pending request on a core: the proxy's entry point, nothing held (hold timeout 0). */
  const createRequest = (s: ServedSandbox, host: string) =>
    void s.core.evaluate({ host, port: 443, binary: BINARY, method: 'GET', path: '/' }, { method: 'GET', path: '/' });
  for (const s of sandboxes) for (let j = 0; j < CHUNKS_PER_SANDBOX; j++) createRequest(s, `h${j}.${s.name}.bench.test`);
  const total = SANDBOXES * CHUNKS_PER_SANDBOX;

  const server = new OpenShellServer({ sandboxes, version: 'bench' });
  const { port } = await server.listen('127.0.0.1', 0);
  const endpoint = `http://127.0.0.1:${port}`;
  const newRpc = () => new OpenShellRpc(connectionOf(resolveConnection({ endpoint }, {})));
  const presets = await PresetStore.open(consoleDir);
  const watchers = () => sandboxes.reduce((n, s) => n + s.core.listenerCount('log'), 0);
  const idleWatchers = watchers();

  const out: string[] = [];
  try {
    // ---- 1. full resync ---------------------------------------------------------------------------
    const resync: number[] = [];
    for (let i = -1; i < RESYNCS; i++) {
      // i = -1: warm-up, not counted
      const gateway = new GrpcGateway({ rpc: newRpc(), presets });
      let done!: (at: number) => void;
      const snapshot = new Promise<number>((r) => (done = r));
      gateway.subscribe((e) => {
        if (e.type === 'snapshot' && e.requests.length >= total) done(performance.now());
      });
      const started = performance.now();
      await gateway.start();
      const took = (await snapshot) - started;
      if (i >= 0) resync.push(took);
      await gateway.stop();
      // Let the server drop this client's watch streams before the next one connects.
      await until('watch streams to close', () => watchers() === idleWatchers);
    }

    // What one resync moves: the protobuf payloads of ListSandboxes and every GetDraftPolicy response.
    const rpc = newRpc();
    await rpc.ready();
    let wireBytes = openShellServiceDefinition.ListSandboxes.responseSerialize(
      await rpc.call('ListSandboxes', { limit: 100, offset: 0 }),
    ).length;
    for (const s of sandboxes)
      wireBytes += openShellServiceDefinition.GetDraftPolicy.responseSerialize(
        await rpc.call('GetDraftPolicy', { name: s.name, status_filter: '' }),
      ).length;

    // ---- 2. safety-net poll round: 16 at a time vs one by one (interleaved, warm channel) ------------
    const draft = (s: ServedSandbox) => rpc.call('GetDraftPolicy', { name: s.name, status_filter: '', workspace: '' });
    const list = () => rpc.call('ListSandboxes', { limit: 100, offset: 0, workspace: '' });
    const concurrent: number[] = [];
    const sequential: number[] = [];
    for (let i = 0; i < 3; i++) await list(), await forEachLimited(sandboxes, CONCURRENCY, draft); // warm up
    for (let i = 0; i < POLL_ROUNDS; i++) {
      let t = performance.now();
      await list();
      await forEachLimited(sandboxes, CONCURRENCY, draft);
      concurrent.push(performance.now() - t);
      t = performance.now();
      await list();
      for (const s of sandboxes) await draft(s);
      sequential.push(performance.now() - t);
    }

    // ---- 3. event latency: new request → client's `request` event ------------------------------------
    // Baseline: one unary GetDraftPolicy round trip for one sandbox (what the push path refetches).
    const unary: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const t = performance.now();
      await draft(sandboxes[i % SANDBOXES]);
      unary.push(performance.now() - t);
    }

    // The console client, its safety-net poll pushed out of the way so only the push path delivers.
    const gateway = new GrpcGateway({ rpc: newRpc(), presets, pollMs: 3_600_000 });
    const waiting = new Map<string, (at: number) => void>();
    let connected = false;
    gateway.subscribe((e: GatewayEvent) => {
      if (e.type === 'connection' && e.state.status === 'connected') connected = true;
      if (e.type === 'request') waiting.get(e.request.host)?.(performance.now());
    });
    await gateway.start();
    await until('the client to connect', () => connected);
    await until('the client to open its watch streams', () => watchers() === idleWatchers + SANDBOXES);
    await new Promise((r) => setTimeout(r, 200)); // the streams' opening refetches settle

    // The push notice alone: a bare WatchSandbox per sandbox on its own channel.
    const notices = new Map<string, (at: number) => void>();
    const raw = newRpc();
    const streams = sandboxes.map((s) => {
      const stream = raw.stream('WatchSandbox', { id: s.id, follow_status: false, follow_logs: false });
      stream.on('data', (e: Message) => e.draft_policy_update && notices.get(s.name)?.(performance.now()));
      stream.on('error', () => undefined);
      return stream;
    });
    await until('the bare watch streams to open', () => watchers() === idleWatchers + 2 * SANDBOXES);

    const sample = async (s: ServedSandbox, host: string, withNotice: boolean): Promise<{ event: number; notice?: number }> => {
      const event = new Promise<number>((resolve) => waiting.set(host, resolve));
      const notice = withNotice ? new Promise<number>((resolve) => notices.set(s.name, resolve)) : undefined;
      const t = performance.now();
      created++;
      createRequest(s, host);
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`bench/gateway: no request event for ${host}`)), 5000).unref(),
      );
      const at = await Promise.race([event, timeout]);
      waiting.delete(host);
      return { event: at - t, notice: notice ? (await notice) - t : undefined };
    };

    const eventLatency: number[] = [];
    const noticeLatency: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const s = sandboxes[(i * 7) % SANDBOXES];
      const r = await sample(s, `idle${i}.${s.name}.bench.test`, true);
      notices.delete(s.name);
      eventLatency.push(r.event);
      if (r.notice !== undefined) noticeLatency.push(r.notice);
    }
    for (const stream of streams) stream.cancel();
    raw.close();

    // ---- 4. the same under 100 new requests/s spread over every sandbox ---------------------------
    let background = 0;
    const load = setInterval(() => {
      const s = sandboxes[(background * 13) % SANDBOXES];
      createRequest(s, `load${background++}.${s.name}.bench.test`);
    }, 1000 / LOAD_PER_SECOND);
    const loaded: number[] = [];
    const loadStarted = performance.now();
    for (let i = 0; i < LOADED_SAMPLES; i++) {
      const s = sandboxes[(i * 11) % SANDBOXES];
      loaded.push((await sample(s, `busy${i}.${s.name}.bench.test`, false)).event);
      await new Promise((r) => setTimeout(r, 20)); // spread the samples over the load
    }
    clearInterval(load);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    await gateway.stop();
    rpc.close();

    // ---- report ------------------------------------------------------------------------------------
    const r = stats(resync);
    const c = stats(concurrent);
    const q = stats(sequential);
    out.push(`Server and client share one Node process (one event loop): on a remote gateway the network round trip adds to every call.\n`);
    out.push(
      `Full resync: ${SANDBOXES} sandboxes × ${CHUNKS_PER_SANDBOX} pending chunks = ${total} chunks, one server on loopback; ${RESYNCS} fresh clients (new channel each, after 1 warm-up)`,
    );
    out.push(`Baseline: one warm poll round (same calls, ${CONCURRENCY} at a time, channel already open; below)`);
    out.push(
      formatTable(
        ['measure', 'p50', 'p99', 'mean', 'max', 'vs warm poll round (p50)'],
        [
          ['start() → snapshot with all chunks (ms)', ms(r.p50), ms(r.p99), ms(r.mean), ms(r.max), ratio(r.p50, c.p50)],
          [
            'chunks/s (1000 / time above)',
            (total / (r.p50 / 1000)).toFixed(0),
            (total / (r.p99 / 1000)).toFixed(0),
            (total / (r.mean / 1000)).toFixed(0),
            (total / (r.max / 1000)).toFixed(0),
            '-',
          ],
        ],
      ),
    );
    out.push(
      `Payload of one resync: ${(wireBytes / 1024).toFixed(1)} KiB protobuf (ListSandboxes + ${SANDBOXES}× GetDraftPolicy responses; HTTP/2 framing not counted), ${(wireBytes / total).toFixed(0)} B/chunk\n`,
    );

    out.push(`Safety-net poll round: ListSandboxes + ${SANDBOXES}× GetDraftPolicy on a warm channel, ${POLL_ROUNDS} rounds each (ms)`);
    out.push(
      formatTable(
        ['round', 'p50', 'p99', 'mean', 'vs sequential (p50)'],
        [
          [`${CONCURRENCY} at a time (GrpcGateway)`, ms(c.p50), ms(c.p99), ms(c.mean), ratio(c.p50, q.p50)],
          ['one by one (baseline: per-sandbox loop)', ms(q.p50), ms(q.p99), ms(q.mean), '1.00×'],
        ],
      ),
    );
    out.push(
      `At the client's 2 s poll interval, a round (16 at a time) is in flight ${((c.mean / 2000) * 100).toFixed(1)}% of the time (wall clock, client + server)\n`,
    );

    const u = stats(unary);
    const e = stats(eventLatency);
    const n = stats(noticeLatency);
    const l = stats(loaded);
    out.push(
      `Event latency: new pending request in a core → GrpcGateway 'request' event (push path only; poll disabled), one at a time, ${LATENCY_SAMPLES} samples over ${SANDBOXES} sandboxes (ms)`,
    );
    out.push(
      `Baseline: one unary GetDraftPolicy round trip for one sandbox (~${CHUNKS_PER_SANDBOX} chunks) — the refetch the push path ends in; the ratio is the push path's total cost over it`,
    );
    out.push(
      formatTable(
        ['path', 'p50', 'p99', 'mean', 'max', 'vs baseline (p50)'],
        [
          ['baseline: GetDraftPolicy round trip', ms(u.p50), ms(u.p99), ms(u.mean), ms(u.max), '1.00×'],
          ['push notice only (WatchSandbox message)', ms(n.p50), ms(n.p99), ms(n.mean), ms(n.max), ratio(n.p50, u.p50)],
          ['request created → request event', ms(e.p50), ms(e.p99), ms(e.mean), ms(e.max), ratio(e.p50, u.p50)],
          [
            `same, under ${LOAD_PER_SECOND} new requests/s (${LOADED_SAMPLES} samples)`,
            ms(l.p50),
            ms(l.p99),
            ms(l.mean),
            ms(l.max),
            ratio(l.p50, u.p50),
          ],
        ],
      ),
    );
    out.push(
      `Background load: ${background} requests in ${loadSeconds.toFixed(1)} s (${(background / loadSeconds).toFixed(0)}/s); inbox at the end: ${total + created + background} chunks\n`,
    );
  } finally {
    await server.close();
    for (const s of sandboxes) s.core.shutdown();
    rmSync(root, { recursive: true, force: true });
  }
  return out.join('\n');
}
