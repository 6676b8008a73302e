// Small tools for control-plane tests: a listener that records every byte sent to it (an impostor on a
// port a dead core left behind), a raw feed connection that keeps every frame it receives, and waiting for
// a child process to exit within a bound.
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import WebSocket from 'ws';

export interface Impostor {
  server: Server;
  /** Everything any client sent, as text. */
  received(): string;
  connections(): number;
  close(): Promise<void>;
}

/** Listens on host:port and records what arrives; it never answers. */
export async function startImpostor(host: string, port: number): Promise<Impostor> {
  const chunks: Buffer[] = [];
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    received: () => Buffer.concat(chunks).toString('latin1'),
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.unref();
      }),
  };
}

export interface RecordedFeed {
  ws: WebSocket;
  /** Every frame, parsed. */
  frames: Array<{ type: string; [k: string]: unknown }>;
  /** Size in bytes of every frame, in order. */
  sizes: number[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  /** Sends a command and resolves with its result frame. */
  command(command: Record<string, unknown>): Promise<{ ok: boolean; data?: unknown; error?: string; [k: string]: unknown }>;
}

/** A feed connection through the `ws` library, keeping every frame. */
export function recordFeed(url: string, token: string, options: WebSocket.ClientOptions = {}): RecordedFeed {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, ...options });
  const frames: RecordedFeed['frames'] = [];
  const sizes: number[] = [];
  const waiting = new Map<string, (frame: never) => void>();
  let ref = 0;
  ws.on('message', (data) => {
    const text = data.toString();
    sizes.push(Buffer.byteLength(text));
    const frame = JSON.parse(text);
    frames.push(frame);
    if (frame.type === 'result' && waiting.has(frame.ref)) {
      waiting.get(frame.ref)!(frame as never);
      waiting.delete(frame.ref);
    }
  });
  ws.on('error', () => {});
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return {
    ws,
    frames,
    sizes,
    opened,
    closed,
    command(command) {
      const id = `t${++ref}`;
      return new Promise((resolve) => {
        waiting.set(id, resolve as never);
        ws.send(JSON.stringify({ ...command, ref: id }));
      });
    },
  };
}

/** Resolves with the exit code, or with 'running' if the child is still running after `ms` (and kills it). */
export function exitWithin(child: ChildProcess, ms: number): Promise<number | 'running'> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('running');
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
}

/** Polls `probe` until it returns a value other than undefined (bounded by the test's own timeout). */
export async function until<T>(probe: () => Promise<T | undefined> | T | undefined, everyMs = 50): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
