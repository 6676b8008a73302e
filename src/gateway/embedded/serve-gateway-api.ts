// The embedded core's gateway API (`--grpc-listen`, 0.1.x under openshell.v1.OpenShell and
// ryno.v1.Ryno; `--grpc-legacy-listen`, 0.0.x). Every call authenticates, loopback included: the
// control token as a bearer (compared in constant time), or — with --grpc-client-ca — a client
// certificate. Off the loopback without TLS the token would cross the network in clear: said at start.
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { VERSION } from '../version.js';
import type { EnforcementCore } from '../../core/engine/enforcement-core.js';
import type { PendingRequest } from '../../core/inbox/pending-request.js';
import { bracketHost, isLoopbackHost } from '../../core/net/host-port.js';
import type { OpenShellServer, ServedSandbox } from '../grpc/openshell-server.js';

export interface GatewayApiOptions {
  listen: { host: string; port: number };
  /** Also serve the 0.0.x generation here (it shares the service name, so it needs a port of its own). */
  legacyListen?: { host: string; port: number };
  /** PEM files; with `ca`, clients must present a certificate it signed. */
  tls?: { cert: string; key: string; ca?: string };
  token: string;
  sandbox: ServedSandbox;
}

export interface GatewayApi {
  servers: OpenShellServer[];
  url: string;
  legacyUrl?: string;
  close(): Promise<void>;
}

/** What a person should be told about an endpoint at start, or undefined when nothing needs saying. */
export function exposureWarning(host: string, tls: boolean, mtls: boolean): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  if (!tls)
    return `gateway API listens on ${host} without TLS: the control token travels in clear to anyone on the path (use --grpc-tls-cert/--grpc-tls-key, or loopback)`;
  return `gateway API listens on ${host}, which is not loopback: every call needs ${mtls ? 'a client certificate' : 'the control token'}`;
}

/**
 * Upstream's sandboxes log each denial as an OCSF line (level OCSF) before the gateway drafts a chunk
 * for it; the core logs its new inbox entries the same way, so a console watching the stream sees the
 * denial at once and a 0.1.x client's denial → inbox path works against the served core too.
 */
function announceDenials(core: EnforcementCore): void {
  core.on('request.pending', (q: PendingRequest) => {
    if (q.hits !== 1) return;
    const process = q.binary.split('/').pop() || 'unknown';
    core.log(
      'info',
      'ocsf',
      `NET:OPEN [MED] DENIED ${process}(${q.pid ?? 0}) -> ${bracketHost(q.host)}:${q.port} [policy:- engine:opa] [reason:${q.reason}]`,
    );
  });
}

async function loadTls(files: GatewayApiOptions['tls']) {
  if (!files) return undefined;
  const tls = { cert: await readFile(files.cert), key: await readFile(files.key), ca: files.ca ? await readFile(files.ca) : undefined };
  // Checked here so a wrong file is named, instead of an OpenSSL code at bind time.
  try {
    createSecureContext({ cert: tls.cert, key: tls.key, ca: tls.ca });
  } catch (error) {
    throw new Error(
      `cannot use --grpc-tls-cert ${files.cert} / --grpc-tls-key ${files.key}${files.ca ? ` / --grpc-client-ca ${files.ca}` : ''}: ${(error as Error).message.replace(/^error:[0-9A-F]+:/, '')} (PEM files expected; the key must match the certificate)`,
    );
  }
  return tls;
}

export async function serveGatewayApi(options: GatewayApiOptions): Promise<GatewayApi> {
  const tls = await loadTls(options.tls);
  // With client certificates required, the certificate is the credential; otherwise the token, always.
  const token = tls?.ca ? undefined : options.token;
  // Loaded only when served: the protos and grpc-js cost a few hundred ms at start.
  const { OpenShellServer } = await import('../grpc/openshell-server.js');
  const servers: OpenShellServer[] = [];
  const urls: string[] = [];
  const endpoints = [
    { at: options.listen, generation: 'current' as const },
    ...(options.legacyListen ? [{ at: options.legacyListen, generation: 'legacy' as const }] : []),
  ];
  try {
    for (const { at, generation } of endpoints) {
      const server = new OpenShellServer({ sandboxes: [options.sandbox], version: VERSION, token, tls, generation });
      servers.push(server);
      const bound = await server.listen(at.host, at.port);
      urls.push(`${tls ? 'https' : 'http'}://${bracketHost(at.host)}:${bound.port}`);
      const warning = exposureWarning(at.host, Boolean(tls), Boolean(tls?.ca));
      if (warning) options.sandbox.core.log('warn', 'core', warning);
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()));
    throw error;
  }
  announceDenials(options.sandbox.core);
  return {
    servers,
    url: urls[0],
    ...(urls[1] ? { legacyUrl: urls[1] } : {}),
    close: async () => void (await Promise.all(servers.map((s) => s.close()))),
  };
}
