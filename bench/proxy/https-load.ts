// HTTPS through a proxy for the benchmark: each worker opens one CONNECT tunnel, speaks TLS over it
// (trusting `ca`) and sends GETs one after another on that keep-alive connection, reading each response
// by its Content-Length (the benchmark's upstream always sends one).
import { once } from 'node:events';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { percentile } from '../table.js';
import { openTunnel } from './connect-load.js';

/** Sends one request (a GET unless `request` gives the raw bytes) and resolves when its whole response has arrived. */
function get(socket: TLSSocket, host: string, request?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    let need = -1;
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (need < 0) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString('latin1');
        if (!head.startsWith('HTTP/1.1 200')) return finish(new Error(head.split('\r\n')[0]));
        need = end + 4 + Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      }
      if (buffered.length >= need) finish();
    };
    const finish = (error?: Error) => {
      socket.off('data', onData);
      socket.off('error', finish);
      if (error) reject(error);
      else resolve();
    };
    socket.on('data', onData);
    socket.on('error', finish);
    socket.write(request ?? `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  });
}

/** Requests/s and p99 (ms) over `connections` keep-alive TLS connections through the proxy for `seconds`. */
export async function httpsRequests(
  proxyPort: number,
  host: string,
  port: number,
  ca: string,
  seconds = 4,
  connections = 8,
  request?: string,
) {
  const times: number[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const socket = tlsConnect({ socket: await openTunnel(proxyPort, `${host}:${port}`), servername: host, ca });
      await once(socket, 'secureConnect');
      while (performance.now() < until) {
        const start = performance.now();
        await get(socket, host, request);
        times.push(performance.now() - start);
      }
      socket.destroy();
    }),
  );
  times.sort((a, b) => a - b);
  return { perSecond: times.length / seconds, p99ms: percentile(times, 0.99), requests: times.length };
}
