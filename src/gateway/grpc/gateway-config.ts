// Discovery of gateways registered by NVIDIA OpenShell's CLI (`openshell gateway add/select`).
//
// On-disk layout (upstream crates/openshell-bootstrap/src/{paths,metadata}.rs):
//   <base>/openshell/active_gateway                 plain-text gateway name
//   <base>/openshell/gateways/<name>/metadata.json  { gateway_endpoint, auth_mode?, ... }
//   <base>/openshell/gateways/<name>/mtls/{ca.crt,tls.crt,tls.key}
//   <base>/openshell/gateways/<name>/oidc_token.json
// User layer: <base> = $XDG_CONFIG_HOME (verbatim) else $HOME/.config.
// System layer (read-only): $OPENSHELL_SYSTEM_GATEWAY_DIR (absolute) else /etc/openshell, same
// layout without the `openshell/` segment. A user entry shadows a system entry of the same name
// only when its metadata.json exists (a user dir holding just an OIDC token does not shadow).
// The newest upstream tree renamed the CLI (crates/ryno-bootstrap/src/paths.rs, ryno-core paths.rs
// and compat.rs): <base>/ryno/ (copied once from <base>/openshell/), $RYNO_SYSTEM_GATEWAY_DIR, else
// /etc/ryno when it exists, else /etc/openshell; every RYNO_* variable falls back to its OPENSHELL_*
// name. We read both: a ryno/ entry shadows an openshell/ entry of the same name.
import fs from 'node:fs';
import path from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

export type AuthMode = 'mtls' | 'plaintext' | 'cloudflare_jwt' | 'oidc';
const AUTH_MODES: readonly AuthMode[] = ['mtls', 'plaintext', 'cloudflare_jwt', 'oidc'];

/** Error raised for gateway configuration problems; the message names the file and the fix. */
export class GatewayConfigError extends Error {
  override name = 'GatewayConfigError';
}

/** The config roots, each already including the `openshell` (or `ryno`) level. */
export interface ConfigDirs {
  /** `$XDG_CONFIG_HOME/openshell`; undefined when neither XDG_CONFIG_HOME nor HOME is set. */
  user?: string;
  /** `$XDG_CONFIG_HOME/ryno` (the renamed CLI), read before `user` when set. */
  renamedUser?: string;
  /** `$RYNO_SYSTEM_GATEWAY_DIR`, `$OPENSHELL_SYSTEM_GATEWAY_DIR`, `/etc/ryno` when it exists, or `/etc/openshell`. */
  system: string;
}

/** `RYNO_<name>` when set (the renamed CLI), else `OPENSHELL_<name>`, as upstream's compat shim bridges them. */
export function envVar(env: Env, name: string): string | undefined {
  const renamed = env[`RYNO_${name}`];
  return renamed !== undefined && renamed !== '' ? renamed : env[`OPENSHELL_${name}`];
}

/** Which of the two names a value came from (for messages that tell the user what to unset). */
export function envVarName(env: Env, name: string): string {
  const renamed = env[`RYNO_${name}`];
  return renamed !== undefined && renamed !== '' ? `RYNO_${name}` : `OPENSHELL_${name}`;
}

export interface GatewayEntry {
  name: string;
  /** `gateway_endpoint` as written in metadata.json ('' when unreadable). */
  endpoint: string;
  authMode: AuthMode;
  /** The gateway's directory (holds metadata.json, mtls/, oidc_token.json). */
  dir: string;
  source: 'user' | 'system';
  /** Set when metadata.json is unusable: the file path and what is wrong with it. */
  problem?: string;
}

export function configDirs(env: Env = process.env): ConfigDirs {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg !== undefined ? xdg : env.HOME ? path.join(env.HOME, '.config') : undefined;
  // Upstream ignores an empty or relative override and falls through to the next choice.
  const absolute = (value: string | undefined) => (value && path.isAbsolute(value) ? value : undefined);
  const system =
    absolute(env.RYNO_SYSTEM_GATEWAY_DIR) ??
    absolute(env.OPENSHELL_SYSTEM_GATEWAY_DIR) ??
    (isDirectory('/etc/ryno') ? '/etc/ryno' : '/etc/openshell');
  const renamed = base !== undefined ? path.join(base, 'ryno') : undefined;
  return {
    user: base !== undefined ? path.join(base, 'openshell') : undefined,
    ...(renamed && isDirectory(renamed) ? { renamedUser: renamed } : {}),
    system,
  };
}

/** A gateway name must be one plain path component (no separators, not `.`/`..`). */
export function isValidGatewayName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !/[/\\\0]/.test(name) && name.trim() === name;
}

export function assertValidGatewayName(name: string): string {
  if (!isValidGatewayName(name)) {
    throw new GatewayConfigError(`invalid gateway name '${name}': expected a single path component`);
  }
  return name;
}

/** Auth mode implied by metadata: absent ⇒ mtls, or plaintext for an http:// endpoint. */
export function defaultAuthMode(endpoint: string): AuthMode {
  return /^http:\/\//i.test(endpoint.trim()) ? 'plaintext' : 'mtls';
}

/** Every registered gateway, user entries shadowing system ones, sorted by name. Never throws for bad files. */
export function listGateways(env: Env = process.env, dirs: ConfigDirs = configDirs(env)): GatewayEntry[] {
  const byName = new Map<string, GatewayEntry>();
  const layers: Array<[GatewayEntry['source'], string | undefined]> = [
    ['user', dirs.renamedUser],
    ['user', dirs.user],
    ['system', dirs.system],
  ];
  for (const [source, root] of layers) {
    if (root === undefined) continue;
    const gatewaysDir = path.join(root, 'gateways');
    for (const name of subdirectories(gatewaysDir)) {
      if (byName.has(name) || !isValidGatewayName(name)) continue;
      const dir = path.join(gatewaysDir, name);
      if (!hasMetadata(dir)) continue;
      byName.set(name, readEntry(name, dir, source));
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The gateway registered under `name` (user layer first), or undefined. */
export function findGateway(name: string, env: Env = process.env, dirs: ConfigDirs = configDirs(env)): GatewayEntry | undefined {
  assertValidGatewayName(name);
  return listGateways(env, dirs).find((g) => g.name === name);
}

/** `$RYNO_GATEWAY` / `$OPENSHELL_GATEWAY`, else the user `active_gateway` file, else the system one. */
export function activeGatewayName(env: Env = process.env, dirs: ConfigDirs = configDirs(env)): string | undefined {
  const fromEnv = envVar(env, 'GATEWAY')?.trim();
  if (fromEnv) return fromEnv;
  for (const root of [dirs.renamedUser, dirs.user, dirs.system]) {
    if (root === undefined) continue;
    const name = readTrimmed(path.join(root, 'active_gateway'));
    // Upstream ignores an invalid name here and falls through to the next layer.
    if (name && isValidGatewayName(name)) return name;
  }
  return undefined;
}

function readEntry(name: string, dir: string, source: GatewayEntry['source']): GatewayEntry {
  const file = path.join(dir, 'metadata.json');
  const broken = (what: string, endpoint = ''): GatewayEntry => ({
    name,
    endpoint,
    authMode: defaultAuthMode(endpoint),
    dir,
    source,
    problem: `${file}: ${what}`,
  });

  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return broken(code ? `cannot read file (${code})` : `invalid JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return broken('expected a JSON object');
  }
  const meta = raw as Record<string, unknown>;
  const endpoint = meta.gateway_endpoint;
  if (typeof endpoint !== 'string' || endpoint.trim() === '') {
    return broken('missing "gateway_endpoint" (expected a URL string such as "https://127.0.0.1:8080")');
  }
  if (!isHttpUrl(endpoint)) {
    return broken(`"gateway_endpoint" is not an http:// or https:// URL: ${JSON.stringify(endpoint)}`, endpoint);
  }
  const mode = meta.auth_mode;
  if (mode !== undefined && mode !== null && !AUTH_MODES.includes(mode as AuthMode)) {
    return broken(`unknown "auth_mode" ${JSON.stringify(mode)} (expected one of ${AUTH_MODES.join(', ')})`, endpoint);
  }
  return { name, endpoint, authMode: (mode as AuthMode | null | undefined) ?? defaultAuthMode(endpoint), dir, source };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value.trim());
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function subdirectories(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() || (d.isSymbolicLink() && isDirectory(path.join(dir, d.name))))
      .map((d) => d.name);
  } catch {
    return [];
  }
}

/** Like upstream, a metadata.json we cannot even stat still counts (and is reported as a problem). */
function hasMetadata(dir: string): boolean {
  try {
    fs.statSync(path.join(dir, 'metadata.json'));
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function readTrimmed(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
