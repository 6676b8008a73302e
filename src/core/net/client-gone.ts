// Knowing that a client went away while its request waits for a decision, so the held slot is given back at
// once instead of at the hold timeout. A client that closes its end sends a FIN, which Node only sees while it
// reads the socket: a socket being read reports it through 'end', and a paused one (a CONNECT waiting for its
// verdict) is read here into a small bounded buffer meanwhile, then paused again with those bytes handed back.
// A half-closed client (shutdown(SHUT_WR), then waiting for the answer) cannot be told from one that left
// without writing to it; it counts as gone, and what the proxy then writes is a 403 saying so.
import type { Socket } from 'node:net';

const signals = new WeakMap<Socket, AbortSignal>();

/** Aborts when the client ends or closes its connection (one signal per socket). */
export function clientGoneSignal(socket: Socket): AbortSignal {
  let signal = signals.get(socket);
  if (signal) return signal;
  const controller = new AbortController();
  signal = controller.signal;
  signals.set(socket, signal);
  if (socket.destroyed || socket.readableEnded) controller.abort();
  else {
    const gone = () => controller.abort();
    socket.once('end', gone);
    socket.once('close', gone);
  }
  return signal;
}

/**
 * Watches a paused socket for its client going away: reads it meanwhile (keeping at most maxBytes; past that
 * it stops reading again, since a client still sending is not gone). stop() pauses it and returns what was read.
 */
export function watchPausedClient(socket: Socket, maxBytes = 64 * 1024): { signal: AbortSignal; stop(): Buffer } {
  const signal = clientGoneSignal(socket);
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= maxBytes) socket.pause();
  };
  socket.on('data', onData);
  socket.resume();
  return {
    signal,
    stop() {
      socket.off('data', onData);
      socket.pause();
      return Buffer.concat(chunks);
    },
  };
}
