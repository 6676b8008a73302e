// bench/core: how fast the operator sees a held request, and how fast an approval releases it.
//   arrival → request.pending event: from the client's request leaving to the core announcing it
//   approve → upstream: from core.approve() to the upstream receiving the held request
// In-process core and proxy, real sockets, 300 distinct destinations.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { Resolver } from '../../src/core/net/resolver.js';
import { EgressProxy } from '../../src/core/proxy/egress-proxy.js';
import { formatTable, percentile } from '../table.js';

export async function benchCoreLatency(): Promise<string> {
  const arrivals = new Map<string, number>();
  const upstream = createServer((req, res) => {
    arrivals.set(req.headers.host ?? '', performance.now());
    res.end('ok');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upPort = (upstream.address() as AddressInfo).port;
  const core = new EnforcementCore({ baseline: { version: 1, network_policies: {} }, holdTimeoutMs: 10_000, maxHeld: 1000 });
  const count = 300;
  const hosts = Array.from({ length: count }, (_, i) => `h${i}.bench.test`);
  const proxy = new EgressProxy({ core, resolver: new Resolver(hosts.map((h) => `${h}:127.0.0.1`)), allowLoopback: true });
  const proxyPort = (await proxy.listen('127.0.0.1', 0)).port;

  const toPending: number[] = [];
  const toUpstream: number[] = [];
  const pendingAt = new Map<string, { id: string; at: number }>();
  core.on('request.pending', (r) => pendingAt.set(r.host, { id: r.id, at: performance.now() }));

  for (const host of hosts) {
    const sent = performance.now();
    const done = new Promise<void>((resolve) => {
      const req = request(
        { host: '127.0.0.1', port: proxyPort, method: 'GET', path: `http://${host}:${upPort}/`, headers: { host: `${host}:${upPort}` } },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', () => resolve());
      req.end();
    });
    while (!pendingAt.has(host)) await new Promise((r) => setImmediate(r));
    const pending = pendingAt.get(host)!;
    toPending.push(pending.at - sent);
    const approvedAt = performance.now();
    core.approve(pending.id, { kind: 'once' }, 'bench', { allowUnknownBinary: true });
    await done;
    toUpstream.push(arrivals.get(`${host}:${upPort}`)! - approvedAt);
  }
  core.shutdown();
  await proxy.close();
  await new Promise<void>((r) => upstream.close(() => r()));
  const row = (name: string, xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return [name, percentile(s, 0.5).toFixed(2), percentile(s, 0.99).toFixed(2), s[s.length - 1].toFixed(2)];
  };
  return (
    `Decision latency (${count} held requests, in-process core + proxy, real sockets; ms)\n` +
    formatTable(
      ['path', 'p50', 'p99', 'max'],
      [row('request arrives → request.pending', toPending), row('approve → request at upstream', toUpstream)],
    )
  );
}
