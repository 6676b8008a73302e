// Standalone mode: the embedded core, its egress proxy and its feed, started together for one state dir.
// The `core` command runs this headless; the console and `run` start it in-process. One core per state dir:
// the dir's lock is taken before anything in it is written, and a second core stops there, naming the first.
// Each start makes a new control token. On stop, held connections are answered (403, with the reason)
// before the proxy closes.
import { EnforcementCore } from '../../core/engine/enforcement-core.js';
import { bracketHost, isLoopbackHost, parseHostPort } from '../../core/net/host-port.js';
import { Resolver } from '../../core/net/resolver.js';
import { EgressProxy, type ClientIdentity } from '../../core/proxy/egress-proxy.js';
import { loadEffectivePolicy } from '../../core/policy/effective.js';
import { formatProblem } from '../../core/policy/source.js';
import type { SandboxPolicy } from '../../core/policy/types.js';
import { createToken, ensureStateDir, RUNTIME_FILE, writeRuntimeInfo } from '../../core/state/state-dir.js';
import { acquireStateLock, type StateLock } from '../../core/state/state-lock.js';
import { FeedServer } from '../feed/feed-server.js';
import { rm } from 'node:fs/promises';
import { socketIdentifier } from '../../core/identity/identify-socket.js';
import { AuditLog } from '../../core/audit/audit-log.js';
import { PresetStore } from '../../core/presets/preset-store.js';
import { PresetManager } from '../../core/presets/preset-manager.js';
import { MergedRules } from '../../core/merges/merged-rules.js';
import { MergeManager } from '../../core/merges/merge-manager.js';
import { CA_CERT_FILE, CertificateAuthority } from '../../core/tls/certificate-authority.js';
import { descendsFrom } from '../../core/identity/process-tree.js';
import { writeCaBundle } from '../../core/tls/ca-bundle.js';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { serveGatewayApi } from './serve-gateway-api.js';
import { loadNativeBuildProblems } from '../../core/native/load-addon.js';
import type { Socket } from 'node:net';
import { guardCoreProcess } from '../../core/isolation/core-guard.js';
import { agentRegistry } from '../../core/isolation/agent-registry.js';

export interface StandaloneOptions {
  stateDir: string;
  policyFile?: string;
  proxyListen?: string;
  wsListen?: string;
  holdTimeoutSeconds?: number;
  maxHeld?: number;
  /** Most requests waiting for a decision (default 1000); new destinations past it are refused at once. */
  maxPending?: number;
  /** Refuse approvals while the audit log cannot be written. */
  auditRequired?: boolean;
  resolve?: string[];
  allowLoopback?: boolean;
  /** Apply this tier's presets at start (restricted, balanced, open). */
  tier?: string;
  /** Serve the openshell.v1 API on H:P. */
  grpcListen?: string;
  /** Also serve the 0.0.x generation of the API on H:P (same service name, so a port of its own). */
  grpcLegacyListen?: string;
  /** This core's sandbox name on the gateway API (default "local"). */
  sandboxName?: string;
  /** PEM files: serve the gateway API over TLS; with `ca`, require client certificates (mTLS). */
  grpcTls?: { cert: string; key: string; ca?: string };
  identify?: (socket: Socket) => Promise<ClientIdentity>;
}

export interface Standalone {
  core: EnforcementCore;
  presets: PresetManager;
  /** The preset files under the state dir (what presets manages; gateway clients in this process share it). */
  presetStore: PresetStore;
  merges: MergeManager;
  proxy: EgressProxy;
  feed: FeedServer;
  proxyAddress: string;
  /** The state dir this core holds (what `run --state-dir` must name to reach it). */
  stateDir: string;
  feedUrl: string;
  /** http://H:P of the openshell.v1 API, when served. */
  grpcUrl?: string;
  /** http://H:P of the 0.0.x API, when served. */
  grpcLegacyUrl?: string;
  token: string;
  /** System roots plus the core's CA: what agents should trust. */
  caBundle: string;
  /** The name of the one sandbox this core stands for (in its own console and on the gateway API). */
  sandbox: string;
  /** Agents this core started (`run`): their process trees are searched first for binary identity. */
  agentPids: Set<number>;
  stop(): Promise<void>;
}

/** The sandbox name a core stands for unless --sandbox gives another. */
export const LOCAL_SANDBOX = 'local';

/** An empty policy: with no rules every destination is denied and goes to the inbox. */
export const DEFAULT_DENY: SandboxPolicy = { version: 1, network_policies: {} };

export async function startStandalone(options: StandaloneOptions): Promise<Standalone> {
  await ensureStateDir(options.stateDir);
  const lock = await acquireStateLock(options.stateDir);
  try {
    return await startLocked(options, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function startLocked(options: StandaloneOptions, lock: StateLock): Promise<Standalone> {
  const loaded = options.policyFile ? await loadEffectivePolicy(options.policyFile) : undefined;
  const baseline = loaded?.policy ?? DEFAULT_DENY;
  const proxyAt = listenAddress(options.proxyListen ?? '127.0.0.1:3128', '--proxy-listen', true);
  const feedAt = listenAddress(options.wsListen ?? '127.0.0.1:0', '--ws-listen', true);
  const audit = await AuditLog.open(join(options.stateDir, 'audit.jsonl'));
  // Presets are the persisted layer: loaded from the state dir at every start.
  const store = await PresetStore.open(options.stateDir);
  // Rules merged over the gateway API (UpdateConfig) sit above the presets.
  const merged = await MergedRules.open(options.stateDir);
  const core = new EnforcementCore({
    baseline,
    audit,
    presetLayers: () => [...store.layers(), merged.layer()],
    holdTimeoutMs: (options.holdTimeoutSeconds ?? 30) * 1000,
    maxHeld: options.maxHeld,
    maxPending: options.maxPending,
    auditRequired: options.auditRequired,
    allowLoopback: options.allowLoopback,
  });
  // Load warnings of the policy file (FILE:LINE:COL), logged so `core` prints them at start.
  for (const warning of loaded?.warnings ?? []) core.log('warn', 'policy', formatProblem(warning));
  const presets = new PresetManager(store, core);
  const merges = new MergeManager(merged, core);
  if (options.auditRequired) core.log('info', 'core', '--audit-required: approvals are refused whenever the audit log cannot be written');
  for (const problem of store.problems()) core.log('warn', 'presets', `skipped ${problem.file}: ${problem.message}`);
  for (const line of loadNativeBuildProblems()) core.log('warn', 'native', line);
  // Non-dumpable: no process of this uid can ptrace the core or read its memory (the token, the CA key).
  const unguarded = guardCoreProcess();
  if (unguarded) core.log('warn', 'core', unguarded);
  if (options.tier) await presets.applyTier(options.tier, 'startup');
  if (options.allowLoopback)
    core.log('warn', 'core', '--allow-loopback: upstreams on loopback are permitted (for local services and tests)');
  for (const [what, at] of [
    ['proxy', proxyAt],
    ['feed', feedAt],
  ] as const) {
    if (!isLoopbackHost(at.host))
      core.log('warn', 'core', `${what} listens on ${at.host}, which is not loopback: anything that can reach it can use it`);
  }
  // The CA that terminates TLS on inspected endpoints lives in the state dir; agents trust it via the bundle.
  const ca = await CertificateAuthority.loadOrCreate(options.stateDir);
  const caBundle = await writeCaBundle(options.stateDir, ca);
  const agentPids = new Set<number>();
  const proxy = new EgressProxy({
    core,
    resolver: new Resolver(options.resolve ?? []),
    allowLoopback: options.allowLoopback,
    identify: options.identify ?? socketIdentifier(() => agentPids, { warn: (message) => core.log('warn', 'identity', message) }),
    tls: ca,
    // Agents started by `run` trust the CA (their bundle holds it): a refused CONNECT is explained inside TLS.
    explainDenialsInTls: (who) => who.pid !== undefined && descendsFrom(who.pid, agentPids),
    caCertPath: join(options.stateDir, CA_CERT_FILE),
  });
  const proxyInfo = await proxy.listen(proxyAt.host, proxyAt.port);
  const proxyAddress = `${bracketHost(proxyInfo.address)}:${proxyInfo.port}`;
  const token = await createToken(options.stateDir);
  const feed = new FeedServer({ core, token, proxyAddress, presets, agents: agentRegistry(proxy, agentPids) });
  let feedInfo: Awaited<ReturnType<FeedServer['listen']>>;
  try {
    feedInfo = await feed.listen(feedAt.host, feedAt.port);
  } catch (error) {
    await proxy.close();
    await audit.close();
    throw error;
  }
  const feedUrl = `ws://${bracketHost(feedInfo.address)}:${feedInfo.port}/`;
  const sandbox = options.sandboxName ?? LOCAL_SANDBOX;
  let grpc: Awaited<ReturnType<typeof serveGatewayApi>> | undefined;
  if (options.grpcListen) {
    try {
      grpc = await serveGatewayApi({
        listen: listenAddress(options.grpcListen, '--grpc-listen', true),
        ...(options.grpcLegacyListen ? { legacyListen: listenAddress(options.grpcLegacyListen, '--grpc-legacy-listen', true) } : {}),
        tls: options.grpcTls,
        token,
        sandbox: { id: sandboxId(options.stateDir), name: sandbox, createdAt: Date.now(), core, merges },
      });
    } catch (error) {
      await Promise.all([proxy.close(), feed.close()]);
      await audit.close();
      throw new Error(`--grpc-listen ${options.grpcListen}: ${(error as Error).message}`);
    }
  }
  const grpcUrl = grpc?.url;
  await writeRuntimeInfo(options.stateDir, {
    pid: process.pid,
    proxy: proxyAddress,
    ws: feedUrl,
    ...(grpcUrl ? { grpc: grpcUrl } : {}),
    ...(grpc?.legacyUrl ? { grpcLegacy: grpc.legacyUrl } : {}),
    startedAt: Date.now(),
  });
  core.log('info', 'core', `proxy on ${proxyAddress}, feed on ${feedUrl}${grpcUrl ? `, gateway API on ${grpcUrl}` : ''}`);
  let stopped = false;
  return {
    core,
    presets,
    presetStore: store,
    merges,
    proxy,
    feed,
    proxyAddress,
    stateDir: options.stateDir,
    feedUrl,
    grpcUrl,
    ...(grpc?.legacyUrl ? { grpcLegacyUrl: grpc.legacyUrl } : {}),
    token,
    caBundle,
    sandbox,
    agentPids,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Held connections are answered first (403, the core is shutting down); then the listeners close.
      await core.shutdown();
      await Promise.all([proxy.close(), feed.close(), grpc?.close()]);
      await audit.close();
      await rm(join(options.stateDir, RUNTIME_FILE), { force: true });
      await lock.release();
    },
  };
}

function listenAddress(text: string, flag: string, allowPortZero = false) {
  const zero = allowPortZero && /:0$/.test(text);
  const parsed = parseHostPort(zero ? text.replace(/:0$/, ':1') : text);
  if (!parsed) throw new Error(`${flag} expects HOST:PORT, got '${text}'`);
  return { host: parsed.host, port: zero ? 0 : parsed.port };
}

/** Stable across restarts of the same state dir, so attached consoles find the same sandbox again. */
function sandboxId(stateDir: string): string {
  return `sbx-${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 16)}`;
}

/** Binary identity from /proc: the executable that owns the client end of the connection. */
