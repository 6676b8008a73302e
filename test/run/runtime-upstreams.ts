// Local upstreams for the runtime tests, plain HTTP and HTTPS (a leaf for any *.tls.test host from a test
// CA the agents do NOT trust: an agent that gets through to HTTPS did so through the core's inspection,
// trusting the core's CA). One handler serves what each client asks for: an npm registry stub, a git
// smart-HTTP repository (git http-backend as CGI), a pip simple index, a cargo sparse registry, and plain
// bodies.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateAuthority } from '../../src/core/tls/certificate-authority.js';

export interface RuntimeUpstreams {
  httpPort: number;
  httpsPort: number;
  /** The test CA's certificate (for the core's NODE_EXTRA_CA_CERTS: it verifies upstreams against it). */
  caFile: string;
  /** Paths every upstream received, in order. */
  seen: string[];
  close(): Promise<void>;
}

export const BODY = 'upstream body';

const packument = (name: string) => ({
  name,
  'dist-tags': { latest: '1.2.3' },
  versions: { '1.2.3': { name, version: '1.2.3', dist: { tarball: `https://example.invalid/${name}-1.2.3.tgz`, shasum: '0'.repeat(40) } } },
});

function bareRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ost-git-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], {
      cwd: dir,
      stdio: 'pipe',
    });
  git('init', '-q', 'work');
  writeFileSync(join(dir, 'work', 'README'), 'hello\n');
  git('-C', 'work', 'add', 'README');
  git('-C', 'work', 'commit', '-q', '-m', 'first');
  git('clone', '-q', '--bare', 'work', 'repo.git');
  return dir;
}

/** git http-backend as a CGI program (what a smart-HTTP git server runs). */
function gitBackend(root: string, req: IncomingMessage, res: ServerResponse, path: string) {
  const url = new URL(req.url ?? '/', 'http://git');
  const cgi = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: path,
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: '127.0.0.1',
    },
  });
  req.pipe(cgi.stdin);
  const chunks: Buffer[] = [];
  cgi.stdout.on('data', (d: Buffer) => chunks.push(d));
  cgi.on('close', () => {
    const out = Buffer.concat(chunks);
    const split = out.indexOf('\r\n\r\n');
    const head = out.subarray(0, split).toString().split('\r\n');
    let status = 200;
    for (const line of head) {
      const [name, ...value] = line.split(':');
      if (name.toLowerCase() === 'status') status = Number.parseInt(value.join(':'), 10);
      else res.setHeader(name, value.join(':').trim());
    }
    res.writeHead(status).end(out.subarray(split + 4));
  });
}

export async function startRuntimeUpstreams(): Promise<RuntimeUpstreams> {
  const seen: string[] = [];
  const git = bareRepository();
  let httpPort = 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    seen.push(`${req.headers.host} ${path}`);
    if (path.startsWith('/git/')) return gitBackend(git, req, res, path.slice(4));
    if (path.startsWith('/npm/')) {
      const name = decodeURIComponent(path.slice(5));
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument(name)));
    }
    // A cargo sparse registry: its config, and the search API `cargo search` calls.
    if (path === '/cargo/config.json') {
      const origin = `${req.socket.localPort === httpPort ? 'http' : 'https'}://${req.headers.host}`;
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ dl: `${origin}/cargo/dl`, api: `${origin}/cargo` }));
    }
    if (path === '/cargo/api/v1/crates') {
      const crates = [{ name: 'demo-pkg', max_version: '1.2.3', description: 'demo' }];
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ crates, meta: { total: 1 } }));
    }
    if (path.startsWith('/simple/')) {
      const name = path.split('/')[2];
      return void res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!DOCTYPE html><html><body><a href="../../files/${name}-1.2.3.tar.gz">${name}-1.2.3.tar.gz</a></body></html>`);
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`${BODY} ${path}`);
  };
  const http = createHttpServer(handler);
  const caDir = mkdtempSync(join(tmpdir(), 'ost-upstream-ca-'));
  const ca = await CertificateAuthority.loadOrCreate(caDir);
  const https = createHttpsServer(
    {
      SNICallback: (name, done) =>
        void ca.secureContextFor(name).then(
          (context) => done(null, context),
          (error: Error) => done(error),
        ),
    },
    handler,
  );
  const listen = (server: Server) =>
    new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const [plainPort, httpsPort] = await Promise.all([listen(http), listen(https)]);
  httpPort = plainPort;
  return {
    httpPort,
    httpsPort,
    caFile: join(caDir, 'ca.crt'),
    seen,
    close: async () => {
      await Promise.all([http, https].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
