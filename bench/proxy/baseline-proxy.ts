// The same-run baseline: the least a Node forward proxy can do — a Set allowlist, no policy engine,
// no inbox. Run as its own process: node --import tsx bench/proxy/baseline-proxy.ts PORT HOST:IP ALLOWED_HOST
import { Agent, createServer, request } from 'node:http';

const [port, mapping, allowed] = process.argv.slice(2);
const [mappedHost, mappedIp] = mapping.split(':');
const allow = new Set([allowed]);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

createServer((req, res) => {
  const url = new URL(req.url ?? '');
  if (!allow.has(url.hostname)) {
    res.writeHead(403, { 'content-type': 'text/plain' }).end('denied\n');
    return;
  }
  const host = url.hostname === mappedHost ? mappedIp : url.hostname;
  const up = request({ host, port: url.port || 80, method: req.method, path: url.pathname + url.search, headers: req.headers, agent }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => res.writeHead(502).end());
  req.pipe(up);
}).listen(Number(port), '127.0.0.1');
