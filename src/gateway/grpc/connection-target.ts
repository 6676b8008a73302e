// Turns a gateway selection (--gateway / --endpoint / env / active_gateway) into everything
// needed to open a grpc-js channel, following upstream OpenShell's CLI (crates/openshell-cli/src/
// {main.rs,tls.rs}, crates/openshell-core/src/auth.rs):
//   - `http://`  → plaintext HTTP/2 (h2c), no client certificates.
//   - `https://` → TLS trusting ONLY `mtls/ca.crt` when present (plus the client identity
//     `mtls/tls.crt` + `mtls/tls.key` when present), otherwise the system roots.
//   - Bearer token (`authorization: Bearer …`): `$OPENSHELL_TOKEN` when set, else for auth_mode
//     `oidc` the access token in `oidc_token.json` (never refreshed here: expired ⇒ error asking the
//     user to run `openshell gateway login <name>`). A token is never sent over plaintext to a
//     non-loopback host.
// Environment: OPENSHELL_GATEWAY_ENDPOINT (like --endpoint), OPENSHELL_GATEWAY (like --gateway),
// OPENSHELL_TOKEN (bearer token override), each also as RYNO_* (the renamed CLI; it wins when set),
// plus the config dirs described in gateway-config.ts.
// Our own served core: an endpoint that is the `grpc` URL a live core recorded in its state dir
// (core.json) gets that core's control token, read from the same 0600 state dir — so the CLI and a
// second console attach to a local core without the token being handled by hand.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { inspect } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { isLoopbackHost, stripBrackets } from '../../core/net/host-port.js';
import { listenerProblem } from '../../core/state/core-liveness.js';
import { defaultStateDir, RUNTIME_FILE, TOKEN_FILE } from '../../core/state/state-dir.js';
import {
  activeGatewayName,
  assertValidGatewayName,
  configDirs,
  defaultAuthMode,
  envVar,
  envVarName,
  GatewayConfigError,
  listGateways,
  type AuthMode,
  type ConfigDirs,
  type Env,
  type GatewayEntry,
} from './gateway-config.js';

/** Applied by the caller when waiting for the channel to become ready. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Deadline for unary calls (the upstream TUI uses 5 s client timeouts). */
export const UNARY_TIMEOUT_MS = 5_000;

/** Seconds of slack before `expires_at` at which an OIDC token already counts as expired. */
const OIDC_EXPIRY_SLACK_S = 30;

export interface ConnectionTarget {
  name: string;
  /** Normalized endpoint URL (scheme://host[:port]). */
  endpoint: string;
  /** `host:port` for grpc-js (IPv6 literals bracketed). */
  address: string;
  tls: boolean;
  /** TLS server name to verify (the URL host, IPv6 unbracketed); only set when tls. */
  serverName?: string;
  ca?: Buffer;
  cert?: Buffer;
  /** Client private key: redacted from JSON.stringify / util.inspect output. */
  key?: Buffer;
  /** Bearer token: redacted from JSON.stringify / util.inspect output. Never log it. */
  bearer?: string;
  /**
   * Set when the bearer is the control token of our own core in this state dir: tokens are new per core
   * lifetime, so it is read again (after checking that core still owns the endpoint) before each connect.
   */
  localCore?: string;
  authMode: AuthMode;
}

export interface ResolveOptions {
  gateway?: string;
  endpoint?: string;
}

export interface ResolveContext {
  dirs?: ConfigDirs;
  /** Current time in unix seconds (tests). */
  nowSeconds?: number;
  /** The openshell-term state dir whose running core's token may be used (default from the environment). */
  stateDir?: string;
}

export function resolveConnection(opts: ResolveOptions, env: Env = process.env, ctx: ResolveContext = {}): ConnectionTarget {
  const dirs = ctx.dirs ?? configDirs(env);
  const gateways = listGateways(env, dirs);
  const explicitName = nonEmpty(opts.gateway) ?? nonEmpty(envVar(env, 'GATEWAY'));
  const endpointArg = nonEmpty(opts.endpoint) ?? nonEmpty(envVar(env, 'GATEWAY_ENDPOINT'));

  let name: string;
  let url: URL;
  let entry: GatewayEntry | undefined;
  if (endpointArg) {
    url = parseEndpoint(endpointArg, '--endpoint');
    if (explicitName) {
      name = assertValidGatewayName(explicitName);
      entry = gateways.find((g) => g.name === name && !g.problem);
    } else {
      entry = matchByEndpoint(url, gateways, activeGatewayName(env, dirs));
      name = entry?.name ?? stripBrackets(url.hostname);
    }
  } else {
    const selected = explicitName ?? activeGatewayName(env, dirs);
    if (!selected) {
      throw new GatewayConfigError(
        `No gateway selected: pass --gateway NAME or --endpoint URL, or run \`openshell gateway select <name>\`` +
          ` (looked for ${dirs.user ? `${path.join(dirs.user, 'active_gateway')} and ` : ''}` +
          `${path.join(dirs.system, 'active_gateway')}). ${knownGateways(gateways)}`,
      );
    }
    name = assertValidGatewayName(selected);
    entry = gateways.find((g) => g.name === name);
    if (!entry) {
      throw new GatewayConfigError(
        `Unknown gateway '${name}': no gateways/${name}/metadata.json in ` +
          `${[dirs.user, dirs.system].filter(Boolean).join(' or ')}. ${knownGateways(gateways)} ` +
          `Register it with \`openshell gateway add <endpoint> --name ${name}\`.`,
      );
    }
    if (entry.problem) {
      throw new GatewayConfigError(`Gateway '${name}' is misconfigured: ${entry.problem}`);
    }
    url = parseEndpoint(entry.endpoint, path.join(entry.dir, 'metadata.json'));
  }

  const tls = url.protocol === 'https:';
  const host = stripBrackets(url.hostname);
  const port = url.port || (tls ? '443' : '80');
  const authMode: AuthMode = entry?.authMode ?? defaultAuthMode(url.href);
  if (authMode === 'cloudflare_jwt') {
    throw new GatewayConfigError(
      `Gateway '${name}' uses Cloudflare Access (auth_mode "cloudflare_jwt"), which openshell-term does not support; ` +
        `connect with --endpoint to a direct gateway URL instead.`,
    );
  }

  const dirsToSearch = gatewayDirs(name, entry, dirs);
  const target: ConnectionTarget = {
    name,
    endpoint: url.origin,
    address: `${url.hostname}:${port}`,
    tls,
    authMode,
    ...(tls ? { serverName: host, ...loadMtls(dirsToSearch) } : {}),
  };

  const configured = resolveBearer(name, authMode, dirsToSearch, env, ctx.nowSeconds ?? Date.now() / 1000);
  const stateDir = ctx.stateDir ?? defaultStateDir(env);
  const local = configured ? undefined : localCoreToken(url, stateDir);
  const token = configured ?? local;
  if (token) {
    if (!tls && !isLoopbackHost(host)) {
      throw new GatewayConfigError(
        `Refusing to send the bearer token from ${token.source} over plaintext ${url.origin} ` +
          `(host '${host}' is not loopback): use an https:// endpoint for gateway '${name}'` +
          (/_TOKEN$/.test(token.source) ? `, or unset ${token.source}.` : '.'),
      );
    }
    target.bearer = token.value;
    if (local) target.localCore = stateDir;
  }
  return redactSecrets(target);
}

/**
 * Channel credentials for `new OpenShellClient(target.address, creds, channelOptions(target))`.
 * Over TLS the bearer token travels as call credentials on every call. grpc-js refuses call
 * credentials on insecure channels, so over (loopback) plaintext the token is carried by
 * `callMetadata(target)` instead — always pass that metadata to every call and both cases work.
 */
export function grpcCredentials(target: ConnectionTarget): grpc.ChannelCredentials {
  if (!target.tls) return grpc.credentials.createInsecure();
  const channel = grpc.credentials.createSsl(target.ca ?? null, target.key ?? null, target.cert ?? null);
  if (!target.bearer && !target.localCore) return channel;
  // Read at each call: a local core's token is replaced when that core restarts (refreshLocalBearer).
  const call = grpc.credentials.createFromMetadataGenerator((_params, callback) => {
    const md = new grpc.Metadata();
    if (target.bearer) md.set('authorization', `Bearer ${target.bearer}`);
    callback(null, md);
  });
  return grpc.credentials.combineChannelCredentials(channel, call);
}

/** Per-call metadata: holds `authorization` only when grpcCredentials() could not carry it. */
export function callMetadata(target: ConnectionTarget): grpc.Metadata {
  const md = new grpc.Metadata();
  if (target.bearer && !target.tls) md.set('authorization', `Bearer ${target.bearer}`);
  return md;
}

/** Channel options mirroring the upstream client (10 s keepalive, also while idle). */
export function channelOptions(target: ConnectionTarget): grpc.ChannelOptions {
  const options: grpc.ChannelOptions = {
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.initial_reconnect_backoff_ms': 500,
    'grpc.max_reconnect_backoff_ms': 10_000,
  };
  const host = stripBrackets(new URL(target.endpoint).hostname);
  if (target.tls && target.serverName && target.serverName !== host) {
    options['grpc.ssl_target_name_override'] = target.serverName;
  }
  return options;
}

// ---------------------------------------------------------------------------------------------

function parseEndpoint(value: string, origin: string): URL {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new GatewayConfigError(
      `Invalid gateway endpoint ${JSON.stringify(value)} (from ${origin}): expected a URL such as https://host:port`,
    );
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new GatewayConfigError(
      `Invalid gateway endpoint ${JSON.stringify(value)} (from ${origin}): only http:// (plaintext) and https:// (TLS) URLs are supported`,
    );
  }
  return url;
}

/** Upstream prefers the active gateway when several entries share the endpoint. */
function matchByEndpoint(url: URL, gateways: GatewayEntry[], active: string | undefined): GatewayEntry | undefined {
  const same = (g: GatewayEntry): boolean => {
    if (g.problem) return false;
    try {
      return new URL(g.endpoint.trim()).origin === url.origin;
    } catch {
      return false;
    }
  };
  return gateways.find((g) => g.name === active && same(g)) ?? gateways.find(same);
}

/** Where a gateway's mtls/ and oidc_token.json may live: the user dir first (where the CLI writes). */
function gatewayDirs(name: string, entry: GatewayEntry | undefined, dirs: ConfigDirs): string[] {
  const out: string[] = [];
  if (dirs.renamedUser) out.push(path.join(dirs.renamedUser, 'gateways', name));
  if (dirs.user) out.push(path.join(dirs.user, 'gateways', name));
  if (entry && !out.includes(entry.dir)) out.push(entry.dir);
  return out;
}

function loadMtls(gatewayDirList: string[]): Pick<ConnectionTarget, 'ca' | 'cert' | 'key'> {
  for (const dir of gatewayDirList) {
    const mtls = path.join(dir, 'mtls');
    const [ca, cert, key] = ['ca.crt', 'tls.crt', 'tls.key'].map((f) => readOptional(path.join(mtls, f)));
    if (!ca && !cert && !key) continue;
    if (!cert !== !key) {
      const missing = path.join(mtls, cert ? 'tls.key' : 'tls.crt');
      throw new GatewayConfigError(
        `Incomplete client identity in ${mtls}: ${missing} is missing; restore it or remove the other half ` +
          `(re-run \`openshell gateway add\` to fetch fresh certificates).`,
      );
    }
    checkPem(mtls, ca, cert, key);
    return { ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) };
  }
  return {};
}

/** grpc-js would only fail later (bad CA) or with a bare OpenSSL message (bad identity); name the files now. */
function checkPem(mtls: string, ca?: Buffer, cert?: Buffer, key?: Buffer): void {
  const fix = 're-run `openshell gateway add` to fetch fresh certificates';
  if (ca) {
    try {
      new X509Certificate(ca);
    } catch (err) {
      throw new GatewayConfigError(`${path.join(mtls, 'ca.crt')} is not a PEM certificate (${(err as Error).message}); ${fix}.`);
    }
  }
  if (cert && key) {
    try {
      createSecureContext({ cert, key });
    } catch (err) {
      throw new GatewayConfigError(
        `${path.join(mtls, 'tls.crt')} / tls.key are not a matching PEM certificate and private key (${(err as Error).message}); ${fix}.`,
      );
    }
  }
}

interface BearerToken {
  value: string;
  /** Where it came from (env var name or file path) — safe to show, unlike the value. */
  source: string;
}

function resolveBearer(name: string, authMode: AuthMode, gatewayDirList: string[], env: Env, nowSeconds: number): BearerToken | undefined {
  const fromEnv = nonEmpty(envVar(env, 'TOKEN'));
  if (fromEnv) return checkedToken(fromEnv, envVarName(env, 'TOKEN'));
  if (authMode !== 'oidc') return undefined;

  const login = `run \`openshell gateway login ${name}\``;
  const files = gatewayDirList.map((d) => path.join(d, 'oidc_token.json'));
  const file = files.find((f) => fs.existsSync(f));
  if (!file) {
    throw new GatewayConfigError(
      `Gateway '${name}' uses OIDC but no token was found (looked for ${files.join(', ')}): ${login}, or set OPENSHELL_TOKEN.`,
    );
  }
  let bundle: unknown;
  try {
    bundle = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GatewayConfigError(`Cannot use OIDC token file ${file}: ${code ? `unreadable (${code})` : 'invalid JSON'}; ${login}.`);
  }
  const b = (typeof bundle === 'object' && bundle !== null ? bundle : {}) as Record<string, unknown>;
  if (typeof b.access_token !== 'string' || b.access_token.trim() === '') {
    throw new GatewayConfigError(`OIDC token file ${file} has no "access_token"; ${login}.`);
  }
  const expiresAt = b.expires_at;
  if (expiresAt !== undefined && expiresAt !== null) {
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
      throw new GatewayConfigError(`OIDC token file ${file} has an invalid "expires_at" (expected unix seconds); ${login}.`);
    }
    if (nowSeconds + OIDC_EXPIRY_SLACK_S >= expiresAt) {
      const when = new Date(expiresAt * 1000).toISOString();
      throw new GatewayConfigError(`The OIDC token for gateway '${name}' (${file}) expired at ${when}: ${login} to sign in again.`);
    }
  }
  return checkedToken(b.access_token, file);
}

/** grpc-js echoes illegal header values in its errors, so validate here without quoting the token. */
function checkedToken(raw: string, source: string): BearerToken {
  const value = raw.trim();
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new GatewayConfigError(`The bearer token from ${source} contains characters not allowed in an HTTP header.`);
  }
  return { value, source };
}

/** Keep the bearer token and private key out of JSON.stringify / console.log / util.inspect. */
function redactSecrets(target: ConnectionTarget): ConnectionTarget {
  const redacted = (): Record<string, unknown> => ({
    ...target,
    ...(target.bearer ? { bearer: '[redacted]' } : {}),
    ...(target.key ? { key: '[redacted]' } : {}),
    ...(target.ca ? { ca: `<${target.ca.length} bytes>` } : {}),
    ...(target.cert ? { cert: `<${target.cert.length} bytes>` } : {}),
  });
  Object.defineProperty(target, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(target, inspect.custom, {
    value: (_depth: number, options: object) => inspect(redacted(), options),
    enumerable: false,
  });
  return target;
}

/**
 * The control token of our own core, when `url` is the gateway API that core says it serves and the
 * core is alive: never sent to an endpoint the state dir does not name, nor after that core is gone.
 */
/**
 * Before (re)connecting to our own core: the token is that core's only while it is alive and owns the
 * endpoint core.json names (never sent to whoever took over the port of a core that died); a restarted
 * core has a new token, read here. Without a verified core the bearer is dropped, not kept.
 */
export async function refreshLocalBearer(target: ConnectionTarget): Promise<void> {
  const dir = target.localCore;
  if (!dir) return;
  target.bearer = undefined;
  let runtime: LocalRuntime;
  try {
    runtime = JSON.parse(await fs.promises.readFile(path.join(dir, RUNTIME_FILE), 'utf8'));
  } catch {
    return;
  }
  const served = servedEndpoint(runtime, new URL(target.endpoint));
  if (!served || typeof runtime.pid !== 'number') return;
  if (await listenerProblem(dir, runtime.pid, served)) return;
  const file = path.join(dir, TOKEN_FILE);
  try {
    target.bearer = checkedToken(await fs.promises.readFile(file, 'utf8'), file).value;
  } catch {
    // No readable token: calls go without one and the core says unauthenticated.
  }
}

function localCoreToken(url: URL, stateDir: string): BearerToken | undefined {
  let runtime: LocalRuntime;
  try {
    runtime = JSON.parse(fs.readFileSync(path.join(stateDir, RUNTIME_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  if (!servedEndpoint(runtime, url)) return undefined;
  if (typeof runtime.pid !== 'number' || !processAlive(runtime.pid)) return undefined;
  const file = path.join(stateDir, TOKEN_FILE);
  try {
    return checkedToken(fs.readFileSync(file, 'utf8'), file);
  } catch {
    return undefined;
  }
}

/** What core.json says of the gateway APIs a core serves (either generation). */
type LocalRuntime = { pid?: unknown; grpc?: unknown; grpcLegacy?: unknown };

/** The endpoint core.json names that is `url` (the current or the legacy API), if any. */
function servedEndpoint(runtime: LocalRuntime, url: URL): string | undefined {
  return [runtime.grpc, runtime.grpcLegacy].find((e): e is string => typeof e === 'string' && sameOrigin(e, url));
}

function sameOrigin(a: string, b: URL): boolean {
  try {
    return new URL(a).origin === b.origin;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The workspace to show: --workspace, else $RYNO_WORKSPACE / $OPENSHELL_WORKSPACE, else "default". */
export function workspaceOf(flag: string | undefined, env: Env = process.env): string {
  return nonEmpty(flag) ?? nonEmpty(envVar(env, 'WORKSPACE')) ?? 'default';
}

function knownGateways(gateways: GatewayEntry[]): string {
  if (gateways.length === 0) return 'No gateways are registered.';
  return `Known gateways: ${gateways.map((g) => `${g.name} (${g.source}${g.problem ? ', misconfigured' : ''})`).join(', ')}.`;
}

function readOptional(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GatewayConfigError(`Cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): check its permissions.`);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}
