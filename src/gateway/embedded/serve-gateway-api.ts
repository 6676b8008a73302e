// The embedded core's openshell.v1 endpoint (`--grpc-listen`): loopback needs nothing more; off the
// loopback every call needs the control token, unless client certificates are required (mTLS).
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { VERSION } from '../version.js';
import { bracketHost, isLoopbackHost } from '../../core/net/host-port.js';
import type { OpenShellServer, ServedSandbox } from '../grpc/openshell-server.js';

export interface GatewayApiOptions {
  listen: { host: string; port: number };
  /** PEM files; with `ca`, clients must present a certificate it signed. */
  tls?: { cert: string; key: string; ca?: string };
  token: string;
  sandbox: ServedSandbox;
}

export async function serveGatewayApi(options: GatewayApiOptions): Promise<{ server: OpenShellServer; url: string }> {
  const { host, port } = options.listen;
  const files = options.tls;
  const tls = files && {
    cert: await readFile(files.cert),
    key: await readFile(files.key),
    ca: files.ca ? await readFile(files.ca) : undefined,
  };
  if (tls) {
    // Checked here so a wrong file is named, instead of an OpenSSL code at bind time.
    try {
      createSecureContext({ cert: tls.cert, key: tls.key, ca: tls.ca });
    } catch (error) {
      throw new Error(
        `cannot use --grpc-tls-cert ${files!.cert} / --grpc-tls-key ${files!.key}${files!.ca ? ` / --grpc-client-ca ${files!.ca}` : ''}: ${(error as Error).message.replace(/^error:[0-9A-F]+:/, '')} (PEM files expected; the key must match the certificate)`,
      );
    }
  }
  const loopback = isLoopbackHost(host);
  const needToken = !loopback && !tls?.ca;
  // Loaded only when served: the protos and grpc-js cost a few hundred ms at start.
  const { OpenShellServer } = await import('../grpc/openshell-server.js');
  const server = new OpenShellServer({ sandboxes: [options.sandbox], version: VERSION, token: needToken ? options.token : undefined, tls });
  const bound = await server.listen(host, port);
  if (!loopback)
    options.sandbox.core.log(
      'warn',
      'core',
      `gateway API listens on ${host}, which is not loopback: every call needs ${needToken ? 'the control token' : 'a client certificate'}`,
    );
  return { server, url: `${tls ? 'https' : 'http'}://${bracketHost(host)}:${bound.port}` };
}
