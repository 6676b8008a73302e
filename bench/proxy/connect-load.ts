// CONNECT load for the proxy benchmark: tunnel setups per second, and tunnel throughput.
import { connect } from 'node:net';
import { percentile } from '../table.js';

export function openTunnel(proxyPort: number, target: string): Promise<import('node:net').Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(proxyPort, '127.0.0.1', () => s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.off('data', onData);
      if (!buf.startsWith('HTTP/1.1 200')) return reject(new Error(buf.split('\r\n')[0]));
      resolve(s);
    };
    s.on('data', onData);
    s.on('error', reject);
  });
}

/** Opens and closes tunnels with `concurrency` workers for `seconds`; setups/s and p99 setup time. */
export async function connectSetups(proxyPort: number, target: string, seconds = 4, concurrency = 16) {
  const times: number[] = [];
  const until = performance.now() + seconds * 1000;
  let failures = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        try {
          const s = await openTunnel(proxyPort, target);
          times.push(performance.now() - t);
          s.destroy();
        } catch {
          failures++;
        }
      }
    }),
  );
  times.sort((a, b) => a - b);
  return { perSecond: times.length / seconds, p99ms: percentile(times, 0.99), failures };
}

/** MiB/s through `tunnels` parallel tunnels, each downloading what the source sends (TUNNEL_MIB). */
export async function tunnelThroughput(proxyPort: number, target: string, tunnels: number) {
  const start = performance.now();
  let bytes = 0;
  await Promise.all(
    Array.from({ length: tunnels }, async () => {
      const s = await openTunnel(proxyPort, target);
      s.write('go');
      await new Promise<void>((resolve) => {
        s.on('data', (d) => (bytes += d.length));
        s.on('close', () => resolve());
        s.on('error', () => resolve());
      });
    }),
  );
  return bytes / (1024 * 1024) / ((performance.now() - start) / 1000);
}
