// After a 101: the client's connection and the upstream's carry another protocol (WebSocket frames), which
// the proxy relays as bytes in both directions until either side goes away, with back-pressure both ways.
import type { Socket } from 'node:net';

export function relayUpgraded(client: Socket, upstream: Socket): void {
  const teardown = () => {
    client.destroy();
    upstream.destroy();
  };
  for (const socket of [client, upstream]) {
    socket.setTimeout(0);
    socket.on('error', teardown);
    socket.once('close', teardown);
  }
  client.pipe(upstream);
  upstream.pipe(client);
  client.resume();
  upstream.resume();
}
