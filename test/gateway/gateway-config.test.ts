// Gateway discovery + connection resolution against real temp config dirs laid out like the
// upstream OpenShell CLI writes them (no network).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import type * as grpc from '@grpc/grpc-js';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../src/core/tls/certificate-authority.js';
import {
  callMetadata,
  channelOptions,
  CONNECT_TIMEOUT_MS,
  grpcCredentials,
  resolveConnection,
  workspaceOf,
  UNARY_TIMEOUT_MS,
} from '../../src/gateway/grpc/connection-target.js';
import { isLoopbackHost } from '../../src/core/net/host-port.js';
import { activeGatewayName, configDirs, listGateways, type Env } from '../../src/gateway/grpc/gateway-config.js';

const SECRET = 'eyJhbGciOiJSUzI1NiJ9.super-secret-token-value.sig';
const NOW = 1_800_000_000;

// Real PEMs: a CA certificate, used both as the gateway CA and (with its key) as the client identity.
let CA_PEM: string;
let KEY_PEM: string;
beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gateway-config-ca-'));
  try {
    await CertificateAuthority.loadOrCreate(dir);
    CA_PEM = readFileSync(path.join(dir, 'ca.crt'), 'utf8');
    KEY_PEM = readFileSync(path.join(dir, 'ca.key'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

let root: string;
let env: Record<string, string | undefined>;
let userRoot: string; // $XDG_CONFIG_HOME/openshell
let systemRoot: string; // $OPENSHELL_SYSTEM_GATEWAY_DIR

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'gateway-config-'));
  userRoot = path.join(root, 'xdg', 'openshell');
  systemRoot = path.join(root, 'system');
  env = { XDG_CONFIG_HOME: path.join(root, 'xdg'), OPENSHELL_SYSTEM_GATEWAY_DIR: systemRoot };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function write(file: string, contents: string | object): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof contents === 'string' ? contents : JSON.stringify(contents, null, 2));
}

function addGateway(layer: string, name: string, meta: object | string): string {
  const dir = path.join(layer, 'gateways', name);
  write(path.join(dir, 'metadata.json'), meta);
  return dir;
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

const resolve = (opts: { gateway?: string; endpoint?: string }, e: Env = env) => resolveConnection(opts, e, { nowSeconds: NOW });

describe('config dirs', () => {
  it('uses XDG_CONFIG_HOME verbatim, else HOME/.config; system override must be absolute', () => {
    expect(configDirs({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toEqual({ user: '/x/openshell', system: '/etc/openshell' });
    expect(configDirs({ HOME: '/h', OPENSHELL_SYSTEM_GATEWAY_DIR: '/opt/os' })).toEqual({
      user: '/h/.config/openshell',
      system: '/opt/os',
    });
    expect(configDirs({ OPENSHELL_SYSTEM_GATEWAY_DIR: 'relative/dir' })).toEqual({ user: undefined, system: '/etc/openshell' });
  });
});

describe('listGateways', () => {
  it('lists user and system gateways; user entries shadow system ones', () => {
    addGateway(userRoot, 'shared', { name: 'shared', gateway_endpoint: 'https://user.example:8443' });
    addGateway(userRoot, 'local', { gateway_endpoint: 'http://127.0.0.1:8080' });
    addGateway(systemRoot, 'shared', { gateway_endpoint: 'https://system.example' });
    addGateway(systemRoot, 'corp', { gateway_endpoint: 'https://corp.example', auth_mode: 'oidc' });
    // A user dir without metadata.json (e.g. only an OIDC token) does not shadow the system entry.
    write(path.join(userRoot, 'gateways', 'corp', 'oidc_token.json'), { access_token: 'x' });

    const list = listGateways(env);
    expect(list.map((g) => [g.name, g.source, g.endpoint, g.authMode])).toEqual([
      ['corp', 'system', 'https://corp.example', 'oidc'],
      ['local', 'user', 'http://127.0.0.1:8080', 'plaintext'],
      ['shared', 'user', 'https://user.example:8443', 'mtls'],
    ]);
    expect(list.find((g) => g.name === 'corp')?.dir).toBe(path.join(systemRoot, 'gateways', 'corp'));
    expect(list.every((g) => g.problem === undefined)).toBe(true);
  });

  it('returns an empty list when no config exists', () => {
    expect(listGateways(env)).toEqual([]);
  });

  it('lists a malformed metadata.json with a problem instead of throwing', () => {
    addGateway(userRoot, 'badjson', '{ "gateway_endpoint": ');
    addGateway(userRoot, 'noendpoint', { name: 'noendpoint' });
    addGateway(userRoot, 'badmode', { gateway_endpoint: 'https://x.example', auth_mode: 'kerberos' });
    addGateway(userRoot, 'badurl', { gateway_endpoint: 'ftp://x.example' });
    addGateway(systemRoot, 'array', '[]');

    const byName = Object.fromEntries(listGateways(env).map((g) => [g.name, g]));
    expect(Object.keys(byName).sort()).toEqual(['array', 'badjson', 'badmode', 'badurl', 'noendpoint']);
    const file = (layer: string, name: string) => path.join(layer, 'gateways', name, 'metadata.json');
    expect(byName.badjson.problem).toContain(file(userRoot, 'badjson'));
    expect(byName.badjson.problem).toMatch(/invalid JSON/);
    expect(byName.noendpoint.problem).toMatch(/missing "gateway_endpoint"/);
    expect(byName.badmode.problem).toMatch(/unknown "auth_mode" "kerberos"/);
    expect(byName.badurl.problem).toMatch(/not an http:\/\/ or https:\/\/ URL/);
    expect(byName.array.problem).toBe(`${file(systemRoot, 'array')}: expected a JSON object`);

    expect(errorOf(() => resolve({ gateway: 'badjson' })).message).toContain(file(userRoot, 'badjson'));
  });
});

describe('activeGatewayName', () => {
  it('prefers OPENSHELL_GATEWAY, then the user file, then the system file', () => {
    expect(activeGatewayName(env)).toBeUndefined();
    write(path.join(systemRoot, 'active_gateway'), 'sys-gw\n');
    expect(activeGatewayName(env)).toBe('sys-gw');
    write(path.join(userRoot, 'active_gateway'), '  user-gw \n');
    expect(activeGatewayName(env)).toBe('user-gw');
    expect(activeGatewayName({ ...env, OPENSHELL_GATEWAY: 'env-gw' })).toBe('env-gw');
  });

  it('ignores an active_gateway that is not a single path component', () => {
    write(path.join(userRoot, 'active_gateway'), '../escape');
    write(path.join(systemRoot, 'active_gateway'), 'sys-gw');
    expect(activeGatewayName(env)).toBe('sys-gw');
    expect(errorOf(() => resolve({ gateway: '../escape' })).message).toMatch(/single path component/);
  });
});

describe('resolveConnection', () => {
  it('resolves the active gateway over plaintext http', () => {
    addGateway(userRoot, 'local', { gateway_endpoint: 'http://127.0.0.1:8080/' });
    write(path.join(userRoot, 'active_gateway'), 'local');
    const t = resolve({});
    expect(t).toMatchObject({
      name: 'local',
      endpoint: 'http://127.0.0.1:8080',
      address: '127.0.0.1:8080',
      tls: false,
      authMode: 'plaintext',
    });
    expect(t.serverName).toBeUndefined();
    expect(t.bearer).toBeUndefined();
    expect(grpcCredentials(t)._isSecure()).toBe(false);
    expect(callMetadata(t).get('authorization')).toEqual([]);
  });

  it('applies default ports and brackets IPv6 addresses', () => {
    expect(resolve({ endpoint: 'https://gw.example' }).address).toBe('gw.example:443');
    expect(resolve({ endpoint: 'http://gw.example' }).address).toBe('gw.example:80');
    const v6 = resolve({ endpoint: 'https://[::1]:9443' });
    expect(v6).toMatchObject({ name: '::1', address: '[::1]:9443', serverName: '::1' });
  });

  it('https with mtls files trusts only the gateway CA and presents the client identity', () => {
    const dir = addGateway(userRoot, 'secure', { gateway_endpoint: 'https://gw.example:8443' });
    write(path.join(dir, 'mtls', 'ca.crt'), CA_PEM);
    write(path.join(dir, 'mtls', 'tls.crt'), CA_PEM);
    write(path.join(dir, 'mtls', 'tls.key'), KEY_PEM);
    const t = resolve({ gateway: 'secure' });
    expect(t).toMatchObject({ name: 'secure', tls: true, serverName: 'gw.example', address: 'gw.example:8443', authMode: 'mtls' });
    expect(t.ca?.toString()).toBe(CA_PEM);
    expect(t.cert?.toString()).toBe(CA_PEM);
    expect(t.key?.toString()).toBe(KEY_PEM);
    expect(grpcCredentials(t)._isSecure()).toBe(true);
    // The private key never shows up in logs.
    const keyBody = KEY_PEM.split('\n')[1];
    expect(JSON.stringify(t)).not.toContain(keyBody);
    expect(inspect(t)).not.toContain(keyBody);
  });

  it('names the file when mtls PEMs are unusable', () => {
    const dir = addGateway(userRoot, 'broken', { gateway_endpoint: 'https://gw.example' });
    write(path.join(dir, 'mtls', 'ca.crt'), 'not a certificate');
    expect(errorOf(() => resolve({ gateway: 'broken' })).message).toContain(path.join(dir, 'mtls', 'ca.crt'));
    write(path.join(dir, 'mtls', 'ca.crt'), CA_PEM);
    write(path.join(dir, 'mtls', 'tls.crt'), CA_PEM);
    write(path.join(dir, 'mtls', 'tls.key'), 'garbage');
    expect(errorOf(() => resolve({ gateway: 'broken' })).message).toContain(path.join(dir, 'mtls', 'tls.crt'));
  });

  it('https without mtls files falls back to system roots', () => {
    addGateway(systemRoot, 'public', { gateway_endpoint: 'https://public.example' });
    const t = resolve({ gateway: 'public' });
    expect(t).toMatchObject({ tls: true, serverName: 'public.example' });
    expect([t.ca, t.cert, t.key]).toEqual([undefined, undefined, undefined]);
    expect(grpcCredentials(t)._isSecure()).toBe(true);
  });

  it('rejects half a client identity with the missing file named', () => {
    const dir = addGateway(userRoot, 'half', { gateway_endpoint: 'https://gw.example' });
    write(path.join(dir, 'mtls', 'tls.crt'), CA_PEM);
    expect(errorOf(() => resolve({ gateway: 'half' })).message).toContain(path.join(dir, 'mtls', 'tls.key'));
  });

  it('--endpoint wins and takes its name from --gateway, a matching entry, or the URL host', () => {
    const dir = addGateway(userRoot, 'prod', { gateway_endpoint: 'https://prod.example:8443/' });
    write(path.join(dir, 'mtls', 'ca.crt'), CA_PEM);
    write(path.join(userRoot, 'active_gateway'), 'other');

    const matched = resolve({ endpoint: 'https://prod.example:8443' });
    expect(matched).toMatchObject({ name: 'prod', endpoint: 'https://prod.example:8443' });
    expect(matched.ca?.toString()).toBe(CA_PEM);

    expect(resolve({ endpoint: 'https://elsewhere.example:1234' }).name).toBe('elsewhere.example');
    const named = resolve({ endpoint: 'http://127.0.0.1:9000', gateway: 'prod' });
    expect(named).toMatchObject({ name: 'prod', endpoint: 'http://127.0.0.1:9000', tls: false });
    expect(resolve({}, { ...env, OPENSHELL_GATEWAY_ENDPOINT: 'http://localhost:7000' }).address).toBe('localhost:7000');
  });

  it('unknown gateway name → error listing the known ones', () => {
    addGateway(userRoot, 'alpha', { gateway_endpoint: 'https://a.example' });
    addGateway(systemRoot, 'beta', { gateway_endpoint: 'https://b.example' });
    const err = errorOf(() => resolve({ gateway: 'gamma' }));
    expect(err.message).toMatch(/Unknown gateway 'gamma'/);
    expect(err.message).toMatch(/alpha \(user\)/);
    expect(err.message).toMatch(/beta \(system\)/);
    expect(errorOf(() => resolve({})).message).toMatch(/No gateway selected/);
  });

  it('rejects endpoints that are not http(s) URLs', () => {
    expect(errorOf(() => resolve({ endpoint: 'grpc://x.example' })).message).toMatch(/only http:\/\/ .* and https:\/\//);
    expect(errorOf(() => resolve({ endpoint: 'not a url' })).message).toMatch(/Invalid gateway endpoint/);
  });

  describe('bearer tokens', () => {
    function oidcGateway(endpoint: string, token?: object): string {
      const dir = addGateway(userRoot, 'corp', { gateway_endpoint: endpoint, auth_mode: 'oidc', oidc_issuer: 'https://idp' });
      if (token) write(path.join(dir, 'oidc_token.json'), token);
      return dir;
    }
    const bundle = (expires_at?: number) => ({ access_token: SECRET, issuer: 'https://idp', client_id: 'cli', expires_at });

    it('loads a valid OIDC token and sends it as call credentials over TLS', async () => {
      oidcGateway('https://corp.example', bundle(NOW + 3600));
      const t = resolve({ gateway: 'corp' });
      expect(t).toMatchObject({ authMode: 'oidc', tls: true, bearer: SECRET });
      expect(JSON.stringify(t)).not.toContain(SECRET);
      expect(inspect(t)).not.toContain(SECRET);

      const creds = grpcCredentials(t);
      expect(creds._isSecure()).toBe(true);
      const call = (creds as unknown as { callCredentials: grpc.CallCredentials }).callCredentials;
      const md = await call.generateMetadata({ method_name: 'Health', service_url: 'https://corp.example/openshell.v1.OpenShell' });
      expect(md.get('authorization')).toEqual([`Bearer ${SECRET}`]);
      // Carried by the channel, so not duplicated per call.
      expect(callMetadata(t).get('authorization')).toEqual([]);
    });

    it('finds the OIDC token in the user dir for a system gateway', () => {
      addGateway(systemRoot, 'corp', { gateway_endpoint: 'https://corp.example', auth_mode: 'oidc' });
      write(path.join(userRoot, 'gateways', 'corp', 'oidc_token.json'), bundle());
      expect(resolve({ gateway: 'corp' }).bearer).toBe(SECRET);
    });

    it('expired OIDC token → error asking for `openshell gateway login`, without the token', () => {
      const dir = oidcGateway('https://corp.example', bundle(NOW + 30));
      const err = errorOf(() => resolve({ gateway: 'corp' }));
      expect(err.message).toContain('openshell gateway login corp');
      expect(err.message).toContain(path.join(dir, 'oidc_token.json'));
      expect(err.message).not.toContain(SECRET);
      expect(resolve({ gateway: 'corp' }, { ...env, OPENSHELL_TOKEN: 'env-token' }).bearer).toBe('env-token');
    });

    it('missing or malformed OIDC token file → error naming the file', () => {
      const dir = oidcGateway('https://corp.example');
      expect(errorOf(() => resolve({ gateway: 'corp' })).message).toMatch(/openshell gateway login corp/);
      write(path.join(dir, 'oidc_token.json'), `{"access_token": "${SECRET}"`);
      const err = errorOf(() => resolve({ gateway: 'corp' }));
      expect(err.message).toContain(path.join(dir, 'oidc_token.json'));
      expect(err.message).not.toContain(SECRET);
    });

    it('refuses a token over plaintext to a non-loopback host', () => {
      oidcGateway('http://10.0.0.5:8080', bundle(NOW + 3600));
      const oidcErr = errorOf(() => resolve({ gateway: 'corp' }));
      expect(oidcErr.message).toMatch(/Refusing to send the bearer token .* over plaintext http:\/\/10\.0\.0\.5:8080/);
      expect(oidcErr.message).not.toContain(SECRET);

      const envErr = errorOf(() => resolve({ endpoint: 'http://gw.example:8080' }, { ...env, OPENSHELL_TOKEN: SECRET }));
      expect(envErr.message).toMatch(/OPENSHELL_TOKEN/);
      expect(envErr.message).not.toContain(SECRET);
    });

    it('allows a token over plaintext to loopback and carries it in per-call metadata', () => {
      const e = { ...env, OPENSHELL_TOKEN: SECRET };
      for (const endpoint of ['http://127.0.0.1:8080', 'http://127.8.9.10', 'http://localhost:8080', 'http://[::1]:8080']) {
        const t = resolve({ endpoint }, e);
        expect(t.bearer).toBe(SECRET);
        expect(grpcCredentials(t)._isSecure()).toBe(false);
        expect(callMetadata(t).get('authorization')).toEqual([`Bearer ${SECRET}`]);
      }
    });

    it('rejects a token with characters illegal in a header without echoing it', () => {
      const err = errorOf(() => resolve({ endpoint: 'https://gw.example' }, { ...env, OPENSHELL_TOKEN: `${SECRET}\nx` }));
      expect(err.message).toMatch(/OPENSHELL_TOKEN contains characters not allowed/);
      expect(err.message).not.toContain(SECRET);
    });
  });
});

describe('the renamed CLI (ryno, newest upstream) beside the 0.1.x openshell names', () => {
  it('reads $XDG_CONFIG_HOME/ryno first: its entries and active_gateway shadow openshell/ ones', () => {
    const rynoRoot = path.join(root, 'xdg', 'ryno');
    addGateway(userRoot, 'shared', { gateway_endpoint: 'http://127.0.0.1:7001' });
    addGateway(userRoot, 'old-only', { gateway_endpoint: 'http://127.0.0.1:7002' });
    addGateway(rynoRoot, 'shared', { gateway_endpoint: 'http://127.0.0.1:7003' });
    write(path.join(userRoot, 'active_gateway'), 'old-only\n');
    write(path.join(rynoRoot, 'active_gateway'), 'shared\n');
    const list = listGateways(env);
    expect(list.map((g) => `${g.name} ${g.endpoint}`)).toEqual(['old-only http://127.0.0.1:7002', 'shared http://127.0.0.1:7003']);
    expect(activeGatewayName(env)).toBe('shared');
    expect(resolve({}).address).toBe('127.0.0.1:7003');
  });

  it('RYNO_* variables win over OPENSHELL_* ones, which still work alone', () => {
    addGateway(userRoot, 'a', { gateway_endpoint: 'http://127.0.0.1:7101' });
    addGateway(userRoot, 'b', { gateway_endpoint: 'http://127.0.0.1:7102' });
    expect(activeGatewayName({ ...env, OPENSHELL_GATEWAY: 'a' })).toBe('a');
    expect(activeGatewayName({ ...env, OPENSHELL_GATEWAY: 'a', RYNO_GATEWAY: 'b' })).toBe('b');
    expect(
      resolve({}, { ...env, RYNO_GATEWAY_ENDPOINT: 'http://localhost:7200', OPENSHELL_GATEWAY_ENDPOINT: 'http://localhost:7300' }).address,
    ).toBe('localhost:7200');
    const token = resolve({ gateway: 'a' }, { ...env, RYNO_TOKEN: 'new-token', OPENSHELL_TOKEN: 'old-token' });
    expect(token.bearer).toBe('new-token');
    const err = errorOf(() => resolve({ endpoint: 'http://gw.example:8080' }, { ...env, RYNO_TOKEN: SECRET }));
    expect(err.message).toMatch(/unset RYNO_TOKEN/);
    expect(err.message).not.toContain(SECRET);
  });

  it('RYNO_SYSTEM_GATEWAY_DIR is the system layer when set (absolute), else the OPENSHELL_ one', () => {
    const rynoSystem = path.join(root, 'ryno-system');
    addGateway(rynoSystem, 'fleet', { gateway_endpoint: 'https://fleet.example' });
    addGateway(systemRoot, 'legacy-fleet', { gateway_endpoint: 'https://legacy.example' });
    expect(listGateways({ ...env, RYNO_SYSTEM_GATEWAY_DIR: rynoSystem }).map((g) => g.name)).toEqual(['fleet']);
    expect(listGateways({ ...env, RYNO_SYSTEM_GATEWAY_DIR: 'relative/dir' }).map((g) => g.name)).toEqual(['legacy-fleet']);
  });

  it('the workspace: --workspace, else RYNO_WORKSPACE, else OPENSHELL_WORKSPACE, else default', () => {
    expect(workspaceOf(undefined, {})).toBe('default');
    expect(workspaceOf(undefined, { OPENSHELL_WORKSPACE: 'team' })).toBe('team');
    expect(workspaceOf(undefined, { OPENSHELL_WORKSPACE: 'team', RYNO_WORKSPACE: 'ops' })).toBe('ops');
    expect(workspaceOf('cli', { RYNO_WORKSPACE: 'ops' })).toBe('cli');
  });
});

describe('loopback detection and channel settings', () => {
  it('treats only 127.0.0.0/8, ::1 and localhost as loopback', () => {
    for (const h of ['127.0.0.1', '127.255.0.9', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:7f00:1']) {
      expect(isLoopbackHost(h), h).toBe(true);
    }
    for (const h of ['128.0.0.1', '10.0.0.1', '::2', 'localhost.example.com', 'example.com', '0.0.0.0', '127.example.com']) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });

  it('exports keepalive/backoff options and timeouts', () => {
    const t = resolve({ endpoint: 'https://gw.example' });
    expect(channelOptions(t)).toEqual({
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': 500,
      'grpc.max_reconnect_backoff_ms': 10_000,
    });
    expect(channelOptions({ ...t, serverName: 'gateway.internal' })['grpc.ssl_target_name_override']).toBe('gateway.internal');
    expect([CONNECT_TIMEOUT_MS, UNARY_TIMEOUT_MS]).toEqual([10_000, 5_000]);
  });
});
