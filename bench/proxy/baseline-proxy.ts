// The same-run baseline: the least a Node forward proxy can do — a Set allowlist, no policy engine,
// no inbox. Run as its own process: node --import tsx bench/proxy/baseline-proxy.ts PORT HOST:IP ALLOWED_HOST
import { Agent, createServer, request } from 'node:http';
import { connect } from 'node:net';

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
  const up = request(
    { host, port: url.port || 80, method: req.method, path: url.pathname + url.search, headers: req.headers, agent },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  up.on('error', () => res.writeHead(502).end());
  req.pipe(up);
})
  .on('connect', (req, socket, head) => {
    const [host, p] = (req.url ?? '').split(':');
    if (!allow.has(host)) return void socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    const up = connect(Number(p), host === mappedHost ? mappedIp : host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      socket.pipe(up).pipe(socket);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  })
  .listen(Number(port), '127.0.0.1');
