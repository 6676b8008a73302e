// Pins down TLS inspection inside CONNECT tunnels to L7 (protocol: rest) endpoints, over real sockets:
// every decrypted request is parsed, decided on method + path, and re-encrypted to a verified upstream
// (Host rewritten, paths forwarded in the canonical form they were decided in, keep-alive across denials, bodies intact, bad certs → 502).
// The upstream TLS client takes no CA option, so the core runs as a child with NODE_EXTRA_CA_CERTS.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../src/core/tls/certificate-authority.js';
import { startCoreProcess, type CoreProcess } from '../helpers/core-process.js';
import { destroyRawHttpClients, RawHttpClient } from '../helpers/raw-http-client.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MIB = randomBytes(1024 * 1024);

// --- fixtures ----------------------------------------------------------------------------------------

interface Seen {
  upstream: string;
  sni: string | false | null | undefined;
  method: string;
  url: string;
  host: string | undefined;
  hostHeaders: number;
  sha: string;
  length: number;
}

/** Every request any upstream received, in arrival order. */
const seen: Seen[] = [];
const seenAt = (url: string) => seen.filter((s) => s.url === url);

const servers: Server[] = [];
let tmp: string;
let coreProcess: CoreProcess;
let proxyPort: number;
/** The core's CA (what an agent trusts for inspected endpoints). */
let coreCa: Buffer;
let upPort: number;
let untrustedPort: number;
let wrongNamePort: number;
/** Set when the trusted upstream could also listen on 127.0.0.1:443. */
let port443 = false;

function upstreamServer(name: string, contextFor: (servername: string) => Promise<SecureContext>): Server {
  const server = createHttpsServer(
    {
      SNICallback: (sni, cb) =>
        contextFor(sni).then(
          (ctx) => cb(null, ctx),
          (e: Error) => cb(e),
        ),
    },
    async (req, res) => {
      const chunks: Buffer[] = [];
      try {
        for await (const c of req) chunks.push(c as Buffer);
      } catch {
        return; // the proxy cut the request off: nothing was received, nothing to record
      }
      const body = Buffer.concat(chunks);
      const url = req.url ?? '';
      seen.push({
        upstream: name,
        sni: (req.socket as TLSSocket).servername,
        method: req.method ?? '',
        url,
        host: req.headers.host,
        hostHeaders: req.rawHeaders.filter((_, i) => i % 2 === 0 && req.rawHeaders[i].toLowerCase() === 'host').length,
        sha: sha(body),
        length: body.length,
      });
      if (url.startsWith('/sha/')) return void res.end(`${sha(body)} ${body.length}`);
      const text = `${name} ${req.method} ${url} host=${req.headers.host}`;
      // A HEAD answer carries the GET's Content-Length and (Node drops it) no body.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) }).end(text);
    },
  );
  servers.push(server);
  return server;
}

const listen = (server: Server, port = 0) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ost-tls-inspect-'));
  // The upstreams' CA (the core trusts it through NODE_EXTRA_CA_CERTS), and one nobody trusts.
  const upstreamCa = await CertificateAuthority.loadOrCreate(join(tmp, 'upstream-ca'));
  const rogueCa = await CertificateAuthority.loadOrCreate(join(tmp, 'rogue-ca'));
  upPort = await listen(upstreamServer('up', (sni) => upstreamCa.secureContextFor(sni)));
  untrustedPort = await listen(upstreamServer('untrusted', (sni) => rogueCa.secureContextFor(sni)));
  // Trusted CA, but a certificate for some other name whatever the client asks for.
  wrongNamePort = await listen(upstreamServer('wrong-name', () => upstreamCa.secureContextFor('someone-else.test')));
  try {
    await listen(
      upstreamServer('up443', (sni) => upstreamCa.secureContextFor(sni)),
      443,
    );
    port443 = true;
  } catch {
    servers.pop(); // no privilege for, or something already on, port 443: that case is skipped
  }

  const readOnly = (host: string, port: number) =>
    `      - { host: ${host}, port: ${port}, protocol: rest, enforcement: enforce, access: read-only }\n`;
  writeFileSync(
    join(tmp, 'policy.yaml'),
    `version: 1
network_policies:
  inspected:
    name: inspected
    endpoints:
${readOnly('ro.test', upPort)}${readOnly('ro443.test', 443)}${readOnly('untrusted.test', untrustedPort)}${readOnly('wrongname.test', wrongNamePort)}      - { host: rw.test, port: ${upPort}, protocol: rest, enforcement: enforce, access: read-write }
      - host: paths.test
        port: ${upPort}
        protocol: rest
        enforcement: enforce
        rules:
          - allow: { method: GET, path: /x }
    binaries: [{ path: "**" }]
`,
  );
  const hosts = ['ro.test', 'ro443.test', 'rw.test', 'paths.test', 'untrusted.test', 'wrongname.test'].flatMap((h) => [
    '--resolve',
    `${h}:127.0.0.1`,
  ]);
  const saved = { extra: process.env.NODE_EXTRA_CA_CERTS, source: process.env.OPENSHELL_TERM_FROM_SOURCE };
  process.env.NODE_EXTRA_CA_CERTS = join(tmp, 'upstream-ca', 'ca.crt');
  process.env.OPENSHELL_TERM_FROM_SOURCE = '1'; // the sources as they are now, never a stale dist/
  try {
    coreProcess = await startCoreProcess(join(tmp, 'state'), [
      '--policy',
      join(tmp, 'policy.yaml'),
      ...hosts,
      '--allow-loopback',
      '--hold-timeout',
      '1',
    ]);
  } finally {
    for (const [key, value] of [
      ['NODE_EXTRA_CA_CERTS', saved.extra],
      ['OPENSHELL_TERM_FROM_SOURCE', saved.source],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  proxyPort = Number(new URL(coreProcess.proxy).port);
  coreCa = readFileSync(join(tmp, 'state', 'ca.crt'));
}, 30_000);

afterAll(async () => {
  for (const s of openSockets) s.destroy();
  destroyRawHttpClients();
  await coreProcess?.stop();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const openSockets = new Set<Socket | TLSSocket>();

/** CONNECT through the proxy, then TLS to it (verifying its leaf for `host` against the core's CA). */
async function tunnel(host: string, port = upPort): Promise<RawHttpClient> {
  const raw = connect(proxyPort, '127.0.0.1');
  openSockets.add(raw);
  raw.on('error', () => {});
  await once(raw, 'connect');
  raw.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
  const reply = await new Promise<string>((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      raw.pause();
      raw.off('data', onData);
      if (end + 4 < got.length) raw.unshift(got.subarray(end + 4));
      resolve(got.subarray(0, end).toString('latin1'));
    };
    raw.on('data', onData);
    raw.once('close', () => reject(new Error(`proxy closed the CONNECT: ${got.toString('latin1')}`)));
  });
  expect(reply).toMatch(/^HTTP\/1\.1 200 /);
  const secure = tlsConnect({ socket: raw, servername: host, ca: coreCa, ALPNProtocols: ['http/1.1'] });
  openSockets.add(secure);
  await once(secure, 'secureConnect');
  return new RawHttpClient(secure);
}

const request = (method: string, path: string, host: string, extra = '') => `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;

// --- tests ---------------------------------------------------------------------------------------------

describe('decrypted requests reach the upstream as decided', () => {
  it('a GET on a read-only endpoint gets the upstream answer; the upstream sees Host = the tunnel target', async () => {
    const c = await tunnel('ro.test');
    c.write(request('GET', '/first?q=1', 'evil.example'));
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe(`up GET /first?q=1 host=ro.test:${upPort}`);
    const [s] = seenAt('/first?q=1');
    expect(s).toMatchObject({ upstream: 'up', method: 'GET', host: `ro.test:${upPort}`, hostHeaders: 1, sni: 'ro.test' });
  });

  it('on port 443 the upstream Host is the bare host name', async (ctx) => {
    if (!port443) return ctx.skip();
    const c = await tunnel('ro443.test', 443);
    c.write(request('GET', '/on-443', 'ro443.test:443'));
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(seenAt('/on-443')).toEqual([
      expect.objectContaining({ upstream: 'up443', host: 'ro443.test', hostHeaders: 1, sni: 'ro443.test' }),
    ]);
  });

  it('answers GET, GET, HEAD, GET on one keep-alive connection in order, the HEAD without a body', async () => {
    const c = await tunnel('ro.test');
    c.write(request('GET', '/ka/1', 'ro.test'));
    const first = await c.response();
    expect(first.body.toString()).toBe(`up GET /ka/1 host=ro.test:${upPort}`);
    // The rest pipelined in one write: each must wait its turn, and the HEAD answer must carry no body.
    c.write(request('GET', '/ka/2', 'ro.test') + request('HEAD', '/ka/3', 'ro.test') + request('GET', '/ka/4', 'ro.test'));
    const second = await c.response();
    const head = await c.response('HEAD');
    const fourth = await c.response();
    expect([first.status, second.status, head.status, fourth.status]).toEqual([200, 200, 200, 200]);
    expect(second.body.toString()).toBe(`up GET /ka/2 host=ro.test:${upPort}`);
    expect(head.header('content-length')).toBe(String(Buffer.byteLength(`up HEAD /ka/3 host=ro.test:${upPort}`)));
    expect(head.header('transfer-encoding')).toBeUndefined();
    expect(fourth.body.toString()).toBe(`up GET /ka/4 host=ro.test:${upPort}`);
    expect(c.pending).toBe(0);
    expect(seen.filter((s) => s.url.startsWith('/ka/')).map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /ka/1',
      'GET /ka/2',
      'HEAD /ka/3',
      'GET /ka/4',
    ]);
  });

  it('forwards a 1 MiB Content-Length POST body intact to a read-write endpoint', async () => {
    const c = await tunnel('rw.test');
    c.write(request('POST', '/sha/length', 'rw.test', `Content-Type: application/octet-stream\r\nContent-Length: ${MIB.length}\r\n`));
    c.write(MIB);
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe(`${sha(MIB)} ${MIB.length}`);
    expect(seenAt('/sha/length')).toEqual([
      expect.objectContaining({ method: 'POST', host: `rw.test:${upPort}`, sha: sha(MIB), length: MIB.length }),
    ]);
    // The connection is still good for the next request.
    c.write(request('GET', '/after-big-post', 'rw.test'));
    expect((await c.response()).status).toBe(200);
  });

  it('forwards a 1 MiB chunked POST body intact to a read-write endpoint', async () => {
    const c = await tunnel('rw.test');
    c.write(request('POST', '/sha/chunked', 'rw.test', 'Transfer-Encoding: chunked\r\n'));
    for (let at = 0; at < MIB.length; at += 300_000) {
      const part = MIB.subarray(at, at + 300_000);
      c.write(Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]));
    }
    c.write('0\r\n\r\n');
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe(`${sha(MIB)} ${MIB.length}`);
    expect(seenAt('/sha/chunked')).toEqual([expect.objectContaining({ method: 'POST', sha: sha(MIB), length: MIB.length })]);
  });

  it('sends a path starting with "//" upstream as it was decided (collapsed), never as an authority', async () => {
    const c = await tunnel('ro.test');
    c.write(request('GET', '//evil.test/x', 'ro.test'));
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe(`up GET /evil.test/x host=ro.test:${upPort}`);
    expect(seenAt('/evil.test/x')).toEqual([expect.objectContaining({ host: `ro.test:${upPort}` })]);
    expect(seenAt('//evil.test/x')).toEqual([]);
    expect(seenAt('/x').filter((s) => s.host === `ro.test:${upPort}`)).toEqual([]);
  });
});

describe('refusals inside the tunnel', () => {
  it('refuses a POST on a read-only endpoint with a 403 naming the host, and keeps the connection for a GET', async () => {
    const c = await tunnel('ro.test');
    c.write(`${request('POST', '/denied/small', 'ro.test', 'Content-Length: 5\r\n')}hello`);
    const denied = await c.response();
    expect(denied.status).toBe(403);
    expect(denied.header('content-type')).toBe('application/json');
    expect(denied.header('connection')).toBeUndefined();
    expect(JSON.parse(denied.body.toString())).toMatchObject({ error: 'egress_denied', host: 'ro.test', port: upPort, stage: 'l7' });
    c.write(request('GET', '/after-denial', 'ro.test'));
    const after = await c.response();
    expect(after.status).toBe(200);
    expect(after.body.toString()).toBe(`up GET /after-denial host=ro.test:${upPort}`);

    // A refused body larger than what is held while the core decides is read and dropped, not forwarded.
    const big = randomBytes(256 * 1024);
    c.write(request('POST', '/denied/big', 'ro.test', `Content-Length: ${big.length}\r\n`));
    c.write(big);
    expect((await c.response()).status).toBe(403);
    c.write(request('GET', '/after-big-denial', 'ro.test'));
    expect((await c.response()).status).toBe(200);
    expect(seen.filter((s) => s.url.startsWith('/denied/'))).toEqual([]);
    expect(seen.filter((s) => s.method === 'POST' && s.host === `ro.test:${upPort}`)).toEqual([]);
  });

  it('answers 400 to a request-target that is not origin-form, and never forwards it', async () => {
    const before = seen.length;
    for (const line of [
      'GET http://other.test/ HTTP/1.1',
      `GET https://ro.test:${upPort}/abs HTTP/1.1`,
      'GET * HTTP/1.1',
      'OPTIONS * HTTP/1.1',
    ]) {
      const c = await tunnel('ro.test');
      c.write(`${line}\r\nHost: ro.test\r\n\r\n`);
      const r = await c.response();
      expect(r.status, line).toBe(400);
      expect(r.header('connection'), line).toBe('close');
      await c.closed;
    }
    expect(seen.slice(before)).toEqual([]);
  });

  it('decides a "//" path as the upstream would see it: a rule allowing only /x refuses //evil.test/x', async () => {
    const c = await tunnel('paths.test');
    c.write(request('GET', '/x', 'paths.test'));
    const allowed = await c.response();
    expect(allowed.status).toBe(200);
    expect(allowed.body.toString()).toBe(`up GET /x host=paths.test:${upPort}`);
    c.write(request('GET', '//evil.test/x', 'paths.test'));
    const refused = await c.response();
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body.toString())).toMatchObject({ host: 'paths.test', stage: 'l7' });
    expect(seen.filter((s) => s.host === `paths.test:${upPort}`).map((s) => s.url)).toEqual(['/x']);
  });
});

describe('upstream TLS is verified', () => {
  it.each([
    ['from a CA the core does not trust', 'untrusted.test', () => untrustedPort, 'untrusted'],
    ['for another name', 'wrongname.test', () => wrongNamePort, 'wrong-name'],
  ])('answers 502 when the upstream certificate is %s', async (_case, host, port, upstream) => {
    const c = await tunnel(host, port());
    c.write(request('GET', '/must-not-arrive', host));
    const r = await c.response();
    expect(r.status).toBe(502);
    const body = JSON.parse(r.body.toString());
    expect(body).toMatchObject({ error: 'upstream_failed', host });
    expect(body.cause).toMatch(/TLS certificate was not accepted/);
    expect(seen.filter((s) => s.upstream === upstream)).toEqual([]);
  });
});

describe('concurrency', () => {
  it('serves 20 concurrent tunnels × 5 keep-alive requests each, every answer to its own request', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, t) => {
        const c = await tunnel('ro.test');
        const bodies: string[] = [];
        for (let i = 0; i < 5; i++) {
          c.write(request('GET', `/many/${t}/${i}`, 'ro.test'));
          const r = await c.response();
          expect(r.status).toBe(200);
          bodies.push(r.body.toString());
        }
        return bodies;
      }),
    );
    for (let t = 0; t < 20; t++) {
      expect(results[t]).toEqual(Array.from({ length: 5 }, (_, i) => `up GET /many/${t}/${i} host=ro.test:${upPort}`));
    }
    expect(seen.filter((s) => s.url.startsWith('/many/')).length).toBe(100);
  });
});
