// A fixed-size HTTP upstream for the proxy benchmark, in its own process: node --import tsx upstream.ts PORT BYTES
import { createServer } from 'node:http';

const [port, bytes] = process.argv.slice(2).map(Number);
const body = Buffer.alloc(bytes, 0x61);
createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
  res.end(body);
}).listen(port, '127.0.0.1');
