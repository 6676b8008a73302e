// The two ways a request reaches an upstream through the proxy, for tests that run every attack both ways:
// plain HTTP (absolute-form request-target to the proxy) and inside a TLS-inspected CONNECT tunnel
// (origin-form, decrypted by the proxy, re-encrypted to the upstream).
import type { RawHttpClient } from '../../helpers/raw-http-client.js';
import type { ProxyHarness } from './proxy-harness.js';

export interface Channel {
  name: 'plain HTTP' | 'inspected tunnel';
  host: string;
  port: number;
  /** A new client connection on this channel. */
  open(): Promise<RawHttpClient>;
  /** The request-target for `path` on this channel. */
  target(path: string): string;
}

export function channels(
  harness: () => ProxyHarness,
  plain: { host: string; port: () => number },
  inspected: { host: string; port: () => number },
): Channel[] {
  return [
    {
      name: 'plain HTTP',
      get host() {
        return plain.host;
      },
      get port() {
        return plain.port();
      },
      open: () => harness().client(),
      target: (path) => `http://${plain.host}:${plain.port()}${path}`,
    },
    {
      name: 'inspected tunnel',
      get host() {
        return inspected.host;
      },
      get port() {
        return inspected.port();
      },
      open: () => harness().tunnel(inspected.host, inspected.port()),
      target: (path) => path,
    },
  ];
}

/** Resolves with the first response head on `client` (status and raw head), without reading a body. */
export async function firstHead(client: RawHttpClient): Promise<{ status: number; head: string }> {
  const socket = client.socket;
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer) => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve({ status: Number(got.slice(9, 12)), head: got.slice(0, end) });
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed before a response head: ${JSON.stringify(got)}`)));
  });
}
