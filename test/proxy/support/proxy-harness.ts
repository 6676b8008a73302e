// A real enforcement core and egress proxy in this process, over real sockets, with its audit log on disk
// and its TLS-inspection CA: what the attack tests drive. Upstream TLS is verified against a CA the
// upstreams' certificates come from (`upstreamCa`), so inspected tunnels re-encrypt to real TLS servers.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { AuditLog } from '../../../src/core/audit/audit-log.js';
import { EnforcementCore } from '../../../src/core/engine/enforcement-core.js';
import { Resolver } from '../../../src/core/net/resolver.js';
import { EgressProxy, type ProxyOptions } from '../../../src/core/proxy/egress-proxy.js';
import type { PolicyLayer } from '../../../src/core/policy/layers.js';
import type { SandboxPolicy } from '../../../src/core/policy/types.js';
import { CertificateAuthority } from '../../../src/core/tls/certificate-authority.js';
import { RawHttpClient } from '../../helpers/raw-http-client.js';

export interface ProxyHarness {
  core: EnforcementCore;
  proxy: EgressProxy;
  port: number;
  /** The core's CA (what agents under `run` trust). */
  ca: CertificateAuthority;
  caPem: string;
  /** The CA the upstreams' certificates come from (the proxy trusts it for upstream TLS). */
  upstreamCa: CertificateAuthority;
  stateDir: string;
  /** A raw HTTP client connected to the proxy. */
  client(): Promise<RawHttpClient>;
  /** CONNECT to host:port, then TLS to the proxy's leaf for host (trusting the core's CA). */
  tunnel(host: string, port: number): Promise<RawHttpClient>;
  /** CONNECT and return the proxy's reply head and the socket (still open or closed). */
  connectRaw(host: string, port: number): Promise<{ head: string; body: string; socket: Socket }>;
  /** Audit records written so far (OCSF objects). */
  audit(): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export interface HarnessOptions extends Partial<Omit<ProxyOptions, 'core' | 'resolver' | 'tls'>> {
  policy: SandboxPolicy;
  /** HOST:IP entries for the resolver (everything else resolves through the system). */
  resolve?: string[];
  holdTimeoutMs?: number;
  /** Preset layers for the core (a PresetStore's, for promote). */
  presetLayers?: () => PolicyLayer[];
}

export async function startProxyHarness(options: HarnessOptions): Promise<ProxyHarness> {
  const stateDir = mkdtempSync(join(tmpdir(), 'ost-proxy-harness-'));
  const audit = await AuditLog.open(join(stateDir, 'audit.jsonl'));
  const ca = await CertificateAuthority.loadOrCreate(stateDir);
  const upstreamCa = await CertificateAuthority.loadOrCreate(join(stateDir, 'upstream-ca'));
  const core = new EnforcementCore({
    baseline: options.policy,
    audit,
    holdTimeoutMs: options.holdTimeoutMs ?? 0,
    presetLayers: options.presetLayers,
  });
  const { policy: _policy, resolve, holdTimeoutMs: _hold, presetLayers: _layers, ...rest } = options;
  const proxy = new EgressProxy({
    allowLoopback: true,
    ...rest,
    core,
    resolver: new Resolver(resolve ?? []),
    tls: ca,
    upstreamCa: readFileSync(join(stateDir, 'upstream-ca', 'ca.crt'), 'utf8'),
  });
  const port = (await proxy.listen('127.0.0.1', 0)).port;
  const caPem = readFileSync(join(stateDir, 'ca.crt'), 'utf8');
  const opened: Array<Socket | TLSSocket | RawHttpClient> = [];

  const connectRaw = async (host: string, targetPort: number) => {
    const socket = connect(port, '127.0.0.1');
    opened.push(socket);
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write(`CONNECT ${host}:${targetPort} HTTP/1.1\r\nHost: ${host}:${targetPort}\r\n\r\n`);
    return new Promise<{ head: string; body: string; socket: Socket }>((resolve, reject) => {
      let got = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        got = Buffer.concat([got, d]);
        const end = got.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = got.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (got.length < end + 4 + length) return;
        socket.off('data', onData);
        socket.pause();
        const rest = got.subarray(end + 4 + length);
        if (rest.length > 0) socket.unshift(rest);
        resolve({ head, body: got.subarray(end + 4, end + 4 + length).toString(), socket });
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error(`proxy closed the CONNECT: ${got.toString('latin1')}`)));
    });
  };

  return {
    core,
    proxy,
    port,
    ca,
    caPem,
    upstreamCa,
    stateDir,
    async client() {
      const c = await RawHttpClient.open(port);
      opened.push(c);
      return c;
    },
    async tunnel(host, targetPort) {
      const { head, socket } = await connectRaw(host, targetPort);
      if (!/^HTTP\/1\.1 200 /.test(head)) throw new Error(`CONNECT refused: ${head}`);
      const secure = tlsConnect({ socket, servername: host, ca: caPem, ALPNProtocols: ['http/1.1'] });
      opened.push(secure);
      secure.on('error', () => {});
      await once(secure, 'secureConnect');
      const c = new RawHttpClient(secure);
      opened.push(c);
      return c;
    },
    connectRaw,
    async audit() {
      await audit.flush();
      return readFileSync(join(stateDir, 'audit.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    async close() {
      for (const s of opened) s.destroy();
      core.shutdown();
      await proxy.close();
      await audit.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** A policy of REST endpoints for `binaries: **` (every endpoint enforced). */
export function restPolicy(
  endpoints: Array<{ host: string; port: number; rules?: Array<{ allow: Record<string, unknown> }>; access?: string; protocol?: string }>,
): SandboxPolicy {
  return {
    version: 1,
    network_policies: {
      attack: {
        name: 'attack',
        endpoints: endpoints.map((e) => (e.rules || e.access ? { protocol: 'rest', enforcement: 'enforce', ...e } : { ...e })),
        binaries: [{ path: '**' }],
      },
    },
  };
}
