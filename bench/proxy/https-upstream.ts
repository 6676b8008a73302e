// A fixed-size HTTPS upstream for the proxy benchmark, in its own process, with a CA of its own (written
// to CA_DIR/ca.crt for the clients and the core to trust): node --import tsx https-upstream.ts PORT BYTES CA_DIR
import { createServer } from 'node:https';
import { CertificateAuthority } from '../../src/core/tls/certificate-authority.js';

const [portText, bytesText, caDir] = process.argv.slice(2);
const ca = await CertificateAuthority.loadOrCreate(caDir);
const body = Buffer.alloc(Number(bytesText), 0x61);
createServer({ SNICallback: (name, done) => ca.secureContextFor(name).then((context) => done(null, context), done) }, (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
  res.end(body);
}).listen(Number(portText), '127.0.0.1');
