// bench/gateway: the console's gRPC client against 50 sandboxes × 20 pending chunks, in both protocol
// generations (0.1.x on one served endpoint, 0.0.x on another; both over the same 50 embedded cores),
// each against one GetDraftPolicy round trip measured in the same run:
//   full resync    gateway.start() → first snapshot with all 1,000 chunks (probe, list, 50 draft fetches),
//                  fresh client and channel each time
//   event latency  a new pending request in a core → the client's inbox event for it (watch stream →
//                  the denial line or the draft notice → refetch), poll disabled; and under 100 new
//                  requests/s spread over every sandbox
// Requests are created with core.evaluate() (the proxy's entry point) and a hold timeout of 0: an inbox
// entry, no socket, nothing held. Server and client share one Node process (one event loop).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnforcementCore } from '../src/core/engine/enforcement-core.js';
import { MergeManager } from '../src/core/merges/merge-manager.js';
import { MergedRules } from '../src/core/merges/merged-rules.js';
import { PresetStore } from '../src/core/presets/preset-store.js';
import type { GatewayEvent } from '../src/gateway/gateway.js';
import { resolveConnection } from '../src/gateway/grpc/connection-target.js';
import { GrpcGateway } from '../src/gateway/grpc/grpc-gateway.js';
import { connectionOf, OpenShellRpc } from '../src/gateway/grpc/openshell-client.js';
import { OpenShellServer, type ServedSandbox } from '../src/gateway/grpc/openshell-server.js';
import { formatTable, percentile } from './table.js';

const SANDBOXES = 50;
const CHUNKS_PER_SANDBOX = 20;
const RESYNCS = 8;
const LATENCY_SAMPLES = 150;
const LOADED_SAMPLES = 80;
const LOAD_PER_SECOND = 100;
const BINARY = '/usr/bin/curl';
const TOKEN = 'bench-gateway-token';

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
    max: s.at(-1) ?? 0,
  };
}

const ms = (x: number) => x.toFixed(2);
const ratio = (x: number, base: number) => (base > 0 ? `${(x / base).toFixed(1)}×` : '-');

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`bench/gateway: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const sandboxName = (i: number) => `sb${String(i).padStart(2, '0')}`;

interface GenerationResult {
  label: string;
  unary: Stats;
  resync: Stats;
  event: Stats;
  loaded: Stats;
}

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
  const createRequest = (s: ServedSandbox, host: string) =>
    void s.core.evaluate({ host, port: 443, binary: BINARY, method: 'GET', path: '/' }, { method: 'GET', path: '/' });
  for (const s of sandboxes) for (let j = 0; j < CHUNKS_PER_SANDBOX; j++) createRequest(s, `h${j}.${s.name}.bench.test`);
  const total = SANDBOXES * CHUNKS_PER_SANDBOX;

  const servers = {
    current: new OpenShellServer({ sandboxes, version: 'bench', token: TOKEN, generation: 'current' }),
    legacy: new OpenShellServer({ sandboxes, version: 'bench', token: TOKEN, generation: 'legacy' }),
  };
  const ports = {
    current: (await servers.current.listen('127.0.0.1', 0)).port,
    legacy: (await servers.legacy.listen('127.0.0.1', 0)).port,
  };
  const presets = await PresetStore.open(consoleDir);
  const watchers = () => sandboxes.reduce((n, s) => n + s.core.listenerCount('log'), 0);
  const idleWatchers = watchers();
  let created = 0;

  async function run(generation: 'current' | 'legacy'): Promise<GenerationResult> {
    const endpoint = `http://127.0.0.1:${ports[generation]}`;
    const newRpc = () => new OpenShellRpc(connectionOf(resolveConnection({ endpoint }, { OPENSHELL_TOKEN: TOKEN })));

    // ---- baseline: one unary GetDraftPolicy round trip for one sandbox (~20 chunks), warm channel ------
    const rpc = newRpc();
    rpc.use(generation === 'current' ? 'v1' : 'v0');
    const draftRequest = (s: ServedSandbox) =>
      generation === 'current' ? { sandbox: s.name, workspace_scope: { workspace: 'default' } } : { name: s.name, status_filter: '' };
    for (let i = 0; i < 20; i++) await rpc.call('GetDraftPolicy', draftRequest(sandboxes[i % SANDBOXES]));
    const unary: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const t = performance.now();
      await rpc.call('GetDraftPolicy', draftRequest(sandboxes[i % SANDBOXES]));
      unary.push(performance.now() - t);
    }
    rpc.close();

    // ---- full resync -------------------------------------------------------------------------------
    const resync: number[] = [];
    let label = '';
    for (let i = -1; i < RESYNCS; i++) {
      const gateway = new GrpcGateway({ rpc: newRpc(), presets, pollMs: 3_600_000 });
      let done!: (at: number) => void;
      const snapshot = new Promise<number>((r) => (done = r));
      gateway.subscribe((e) => e.type === 'snapshot' && e.requests.length >= total && done(performance.now()));
      const started = performance.now();
      await gateway.start();
      const took = (await snapshot) - started;
      if (i >= 0) resync.push(took);
      label = gateway.info.protocol ?? '?';
      await gateway.stop();
      await until('watch streams to close', () => watchers() === idleWatchers);
    }

    // ---- event latency: new request → the client's inbox event for its host ---------------------------
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
    await new Promise((r) => setTimeout(r, 200));
    const sample = async (s: ServedSandbox, host: string): Promise<number> => {
      const event = new Promise<number>((resolve) => waiting.set(host, resolve));
      const t = performance.now();
      created++;
      createRequest(s, host);
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`bench/gateway: no event for ${host}`)), 5000).unref(),
      );
      const at = await Promise.race([event, timeout]);
      waiting.delete(host);
      return at - t;
    };
    const event: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const s = sandboxes[(i * 7) % SANDBOXES];
      event.push(await sample(s, `idle${i}.${generation}.${s.name}.bench.test`));
    }
    let background = 0;
    const load = setInterval(() => {
      const s = sandboxes[(background * 13) % SANDBOXES];
      createRequest(s, `load${background++}.${generation}.${s.name}.bench.test`);
    }, 1000 / LOAD_PER_SECOND);
    const loaded: number[] = [];
    for (let i = 0; i < LOADED_SAMPLES; i++) {
      const s = sandboxes[(i * 11) % SANDBOXES];
      loaded.push(await sample(s, `busy${i}.${generation}.${s.name}.bench.test`));
      await new Promise((r) => setTimeout(r, 20));
    }
    clearInterval(load);
    created += background;
    await gateway.stop();
    await until('watch streams to close', () => watchers() === idleWatchers);
    return { label, unary: stats(unary), resync: stats(resync), event: stats(event), loaded: stats(loaded) };
  }

  const out: string[] = [];
  try {
    const results = [await run('current'), await run('legacy')];
    out.push('Server and client share one Node process (one event loop): on a remote gateway the network round trip adds to every call.\n');
    out.push(
      `${SANDBOXES} sandboxes × ${CHUNKS_PER_SANDBOX} pending chunks = ${total} chunks at the start; both generations served by the same cores. Times in ms.`,
    );
    out.push(
      'Baseline: one unary GetDraftPolicy round trip for one sandbox (~20 chunks, warm channel), measured in the same run for the same generation.\n',
    );
    out.push(
      formatTable(
        ['generation', 'measure', 'p50', 'p99', 'mean', 'max', 'p50 vs baseline'],
        results.flatMap((r) => [
          [r.label, 'baseline: GetDraftPolicy round trip', ms(r.unary.p50), ms(r.unary.p99), ms(r.unary.mean), ms(r.unary.max), '1.0×'],
          [
            r.label,
            `resync: start() → snapshot of ${total}`,
            ms(r.resync.p50),
            ms(r.resync.p99),
            ms(r.resync.mean),
            ms(r.resync.max),
            ratio(r.resync.p50, r.unary.p50),
          ],
          [
            r.label,
            'request created → inbox event',
            ms(r.event.p50),
            ms(r.event.p99),
            ms(r.event.mean),
            ms(r.event.max),
            ratio(r.event.p50, r.unary.p50),
          ],
          [
            r.label,
            `same, under ${LOAD_PER_SECOND} new requests/s`,
            ms(r.loaded.p50),
            ms(r.loaded.p99),
            ms(r.loaded.mean),
            ms(r.loaded.max),
            ratio(r.loaded.p50, r.unary.p50),
          ],
        ]),
      ),
    );
    out.push(`Requests created during the run: ${created}; inbox at the end: ${total + created} chunks per generation's view.\n`);
  } finally {
    await servers.current.close();
    await servers.legacy.close();
    for (const s of sandboxes) s.core.shutdown();
    rmSync(root, { recursive: true, force: true });
  }
  return out.join('\n');
}
