// An agent that floods the proxy: many requests, to many distinct hosts, over a few keep-alive connections.
import { Agent, request } from 'node:http';

export interface FloodResult {
  /** Responses by status code. */
  statuses: Record<number, number>;
  /** Denial reasons (X-OpenShell-Deny-Reason) by how often they came. */
  reasons: Map<string, number>;
  /** Requests that got no response at all (closed, reset). */
  failed: number;
  ms: number;
}

export interface FloodOptions {
  /** Concurrent connections (default 32). */
  connections?: number;
  /** Path of each request (default /). */
  path?: (i: number) => string;
  port?: number;
}

/** Sends one GET per host in `hosts` (repeats allowed) through the proxy at proxyPort. */
export async function flood(proxyPort: number, hosts: string[], options: FloodOptions = {}): Promise<FloodResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections ?? 32 });
  const result: FloodResult = { statuses: {}, reasons: new Map(), failed: 0, ms: 0 };
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < hosts.length) {
      const i = next++;
      const host = hosts[i];
      const port = options.port ?? 80;
      const path = options.path?.(i) ?? '/';
      await new Promise<void>((resolve) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: proxyPort,
            agent,
            method: 'GET',
            path: `http://${host}:${port}${path}`,
            headers: { host: `${host}:${port}` },
          },
          (res) => {
            result.statuses[res.statusCode!] = (result.statuses[res.statusCode!] ?? 0) + 1;
            const reason = res.headers['x-openshell-deny-reason'];
            if (typeof reason === 'string') result.reasons.set(reason, (result.reasons.get(reason) ?? 0) + 1);
            res.resume();
            res.on('end', resolve);
            res.on('error', () => resolve());
          },
        );
        req.on('error', () => {
          result.failed++;
          resolve();
        });
        req.end();
      });
    }
  };
  await Promise.all(Array.from({ length: options.connections ?? 32 }, worker));
  agent.destroy();
  result.ms = performance.now() - started;
  return result;
}

export const distinctHosts = (count: number, prefix = 'h') => Array.from({ length: count }, (_, i) => `${prefix}${i}.flood.test`);
