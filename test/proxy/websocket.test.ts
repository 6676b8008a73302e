// WebSocket through the proxy, over real sockets, plain HTTP and inside inspected tunnels, against real
// WebSocket servers (the `ws` library) and raw upstreams that log every byte.
//
// What is inspected, and what is not (as upstream OpenShell's websocket_upgrade.rs): the upgrade request
// is decided like any request (method, path, query; a denied one never reaches the upstream), its framing
// and upgrade headers are checked (exactly "websocket", a well-formed key, no body), and the upstream's
// 101 must name websocket and answer the key. After the 101 nothing is inspected: frames go both ways as
// bytes, even frames whose payload reads like an HTTP request. Bytes a client sends behind its upgrade
// request are held until the upstream switches, and never reach an upstream that did not.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { startRawUpstream, type RawUpstream } from './support/raw-upstream.js';
import { restPolicy, startProxyHarness, type ProxyHarness } from './support/proxy-harness.js';
import { channels } from './support/channels.js';
import type { RawHttpClient } from '../helpers/raw-http-client.js';

let harness: ProxyHarness;
const servers: Server[] = [];
const upgrades: Array<{ server: string; url: string; headers: IncomingMessage['headers'] }> = [];
let wsPort: number;
let wssPort: number;
let refusing: RawUpstream;
let refusingTls: RawUpstream;
let forging: RawUpstream;
let forgingTls: RawUpstream;

/** An echo WebSocket server on `server`, recording each upgrade request it accepts. */
function echo(server: Server, name: string): void {
  const wss = new WebSocketServer({ server });
  wss.on('headers', (_headers, req) => upgrades.push({ server: name, url: req.url ?? '', headers: req.headers }));
  wss.on('connection', (socket) => socket.on('message', (data, binary) => socket.send(binary ? data : `echo: ${data}`, { binary })));
}

const listen = async (server: Server) => {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

beforeAll(async () => {
  const holder: { ca?: ProxyHarness['upstreamCa'] } = {};
  const tls = (name: string) => holder.ca!.secureContextFor(name);
  const plain = createHttpServer((_req, res) => res.writeHead(426).end());
  echo(plain, 'ws');
  wsPort = await listen(plain);
  const secure = createHttpsServer({ SNICallback: (name, cb) => tls(name).then((ctx) => cb(null, ctx), cb) }, (_req, res) =>
    res.writeHead(426).end(),
  );
  echo(secure, 'wss');
  wssPort = await listen(secure);
  // Upstreams that do not switch: one answers 426, one forges a 101 that does not answer the key.
  const upgradeRequired = () => 'HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n';
  const forged = () =>
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n';
  refusing = await startRawUpstream({ respond: upgradeRequired });
  refusingTls = await startRawUpstream({ respond: upgradeRequired, tls });
  forging = await startRawUpstream({ respond: forged });
  forgingTls = await startRawUpstream({ respond: forged, tls });
  const rules = [{ allow: { method: 'GET', path: '/ws/**' } }];
  harness = await startProxyHarness({
    policy: restPolicy([
      { host: 'ws.test', port: wsPort, rules },
      { host: 'wss.test', port: wssPort, rules },
      { host: 'refusing.test', port: refusing.port, rules },
      { host: 'refusing-tls.test', port: refusingTls.port, rules },
      { host: 'forging.test', port: forging.port, rules },
      { host: 'forging-tls.test', port: forgingTls.port, rules },
    ]),
    resolve: ['ws.test', 'wss.test', 'refusing.test', 'refusing-tls.test', 'forging.test', 'forging-tls.test'].map((h) => `${h}:127.0.0.1`),
  });
  holder.ca = harness.upstreamCa;
});

afterAll(async () => {
  await harness?.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  for (const u of [refusing, refusingTls, forging, forgingTls]) await u?.close();
});

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = createHash('sha1').update(`${KEY}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
const upgradeHeaders = `Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${KEY}\r\n`;

/** A masked client text frame (RFC 6455 §5.2), payload under 126 bytes. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** Reads one unmasked server text frame (payload under 126 bytes) from what follows the 101 head. */
async function readFrame(socket: RawHttpClient['socket'], buffered: Buffer): Promise<string> {
  let data = buffered;
  while (data.length < 2 || data.length < 2 + (data[1] & 0x7f)) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    data = Buffer.concat([data, chunk]);
  }
  expect(data[0]).toBe(0x81);
  return data.subarray(2, 2 + (data[1] & 0x7f)).toString();
}

/** Writes `bytes` on a fresh channel connection and reads the answer head raw (no body parsing: a 101 is followed by frames). */
async function upgrade(open: () => Promise<RawHttpClient>, bytes: string | Buffer) {
  const client = await open();
  const socket = client.socket;
  socket.removeAllListeners('data');
  const got = new Promise<{ head: string; rest: Buffer }>((resolve, reject) => {
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve({ head: data.subarray(0, end).toString('latin1'), rest: data.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed: ${data.toString('latin1')}`)));
  });
  socket.write(bytes);
  return { socket, ...(await got) };
}

const all = channels(() => harness, { host: 'ws.test', port: () => wsPort }, { host: 'wss.test', port: () => wssPort });

describe.each(all)('$name', (channel) => {
  const plain = channel.name === 'plain HTTP';
  const server = plain ? 'ws' : 'wss';
  const other = (name: string) => {
    const port = () => {
      const map: Record<string, RawUpstream> = plain ? { refusing, forging } : { refusing: refusingTls, forging: forgingTls };
      return map[name].port;
    };
    const host = plain ? `${name}.test` : `${name}-tls.test`;
    return {
      upstream: () => (plain ? { refusing, forging } : { refusing: refusingTls, forging: forgingTls })[name as 'refusing' | 'forging'],
      open: () => (plain ? harness.client() : harness.tunnel(host, port())),
      target: (path: string) => (plain ? `http://${host}:${port()}${path}` : path),
      host,
    };
  };

  it('an allowed upgrade is decided as a GET, relayed after a genuine 101, and frames pass uninspected both ways', async () => {
    const before = upgrades.length;
    const { socket, head, rest } = await upgrade(
      channel.open,
      `GET ${channel.target('/ws/chat?room=1')} HTTP/1.1\r\nHost: ${channel.host}\r\n${upgradeHeaders}\r\n`,
    );
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head).toMatch(new RegExp(`\\r\\nSec-WebSocket-Accept: ${ACCEPT.replace(/[+/=]/g, '\\$&')}`, 'i'));
    expect(head).toMatch(/\r\nUpgrade: websocket/i);
    // A payload that reads like a request: after the 101 it is just bytes, relayed as they are.
    socket.write(textFrame('DELETE /admin/users/1 HTTP/1.1'));
    expect(await readFrame(socket, rest)).toBe('echo: DELETE /admin/users/1 HTTP/1.1');
    const seen = upgrades.slice(before);
    expect(seen).toEqual([
      expect.objectContaining({
        server,
        url: '/ws/chat?room=1',
        headers: expect.objectContaining({ upgrade: 'websocket', 'sec-websocket-key': KEY }),
      }),
    ]);
    const decided = (await harness.audit()).filter((a) => (a.unmapped as { url_path?: string }).url_path === '/ws/chat');
    expect(decided.map((a) => [a.action, (a.unmapped as { http_method: string }).http_method])).toContainEqual(['Allowed', 'GET']);
    socket.destroy();
  });

  it('a denied upgrade gets a 403 JSON reason, the connection closes, and nothing reaches the upstream (not even bytes sent behind it)', async () => {
    const before = upgrades.length;
    const { socket, head } = await upgrade(
      channel.open,
      `GET ${channel.target('/admin/ws')} HTTP/1.1\r\nHost: ${channel.host}\r\n${upgradeHeaders}\r\n${textFrame('hello')}`,
    );
    expect(head).toMatch(/^HTTP\/1\.1 403 /);
    expect(head).toMatch(/\r\nConnection: close/i);
    await once(socket, 'close');
    expect(upgrades.slice(before)).toEqual([]);
  });

  it('bytes sent behind the upgrade request never reach an upstream that answers without switching (426)', async () => {
    const target = other('refusing');
    const before = target.upstream().text().length;
    const { socket, head } = await upgrade(
      target.open,
      `GET ${target.target('/ws/x')} HTTP/1.1\r\nHost: ${target.host}\r\n${upgradeHeaders}\r\nDELETE /admin/users/1 HTTP/1.1\r\nHost: victim\r\n\r\n`,
    );
    expect(head).toMatch(/^HTTP\/1\.1 426 /);
    expect(head).toMatch(/\r\nConnection: close/i);
    await once(socket, 'close');
    const seen = target.upstream().text().slice(before);
    expect(seen).toContain('GET /ws/x HTTP/1.1');
    expect(seen).not.toContain('DELETE');
  });

  it('a 101 that does not answer the key is a 502; the early bytes never reach that upstream', async () => {
    const target = other('forging');
    const before = target.upstream().text().length;
    const { socket, head } = await upgrade(
      target.open,
      `GET ${target.target('/ws/x')} HTTP/1.1\r\nHost: ${target.host}\r\n${upgradeHeaders}\r\nDELETE /admin/users/1 HTTP/1.1\r\nHost: victim\r\n\r\n`,
    );
    expect(head).toMatch(/^HTTP\/1\.1 502 /);
    await once(socket, 'close');
    expect(target.upstream().text().slice(before)).not.toContain('DELETE');
  });

  it('a 101 to a request that asked for no upgrade is a 502', async () => {
    const target = other('forging');
    const c = await target.open();
    c.write(`GET ${target.target('/ws/plain-get')} HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`);
    const r = await c.response();
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body.toString()).cause).toMatch(/asked for no upgrade/);
  });

  it.each([
    ['h2c', 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n', 501],
    ['TLS/1.0', 'Connection: Upgrade\r\nUpgrade: TLS/1.0\r\n', 501],
    ['websocket and h2c at once', `Connection: Upgrade\r\nUpgrade: websocket, h2c\r\nSec-WebSocket-Key: ${KEY}\r\n`, 501],
    ['websocket without a key', 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n', 400],
    ['websocket with a body', `${upgradeHeaders}Content-Length: 5\r\n`, 400],
  ])('an upgrade to %s is refused (%s) before any decision, and never forwarded', async (_case, headers, status) => {
    const before = upgrades.length;
    const c = await channel.open();
    c.write(
      `GET ${channel.target('/ws/refused')} HTTP/1.1\r\nHost: ${channel.host}\r\n${headers}\r\n${headers.includes('Content-Length: 5') ? 'hello' : ''}`,
    );
    const r = await c.response();
    expect(r.status).toBe(status);
    expect(r.header('connection')).toBe('close');
    expect(JSON.parse(r.body.toString()).reason).toEqual(expect.any(String));
    expect(upgrades.slice(before)).toEqual([]);
  });
});

describe('a real WebSocket client (ws) inside an inspected tunnel', () => {
  it('connects to wss:// through CONNECT + TLS inspection and exchanges text and binary messages', async () => {
    const tunnel = await harness.tunnel('wss.test', wssPort);
    const socket = tunnel.socket as Socket;
    socket.removeAllListeners('data');
    const ws = new WebSocket(`wss://wss.test:${wssPort}/ws/lib?x=1`, { createConnection: () => socket });
    await once(ws, 'open');
    ws.send('hello through the core');
    const [text] = (await once(ws, 'message')) as [Buffer];
    expect(text.toString()).toBe('echo: hello through the core');
    const blob = randomBytes(200_000);
    ws.send(blob);
    const [echoed] = (await once(ws, 'message')) as [Buffer];
    expect(Buffer.compare(echoed, blob)).toBe(0);
    ws.close();
    await once(ws, 'close');
  });
});
