// A raw TCP source for tunnel benchmarks: every connection gets N MiB of bytes, then is closed.
// node --import tsx tunnel-source.ts PORT MIB
import { createServer } from 'node:net';

const [port, mib] = process.argv.slice(2).map(Number);
const chunk = Buffer.alloc(64 * 1024, 0x62);
createServer((socket) => {
  let left = mib * 16; // 64 KiB chunks
  socket.on('error', () => {});
  // Wait for one byte from the client (sent once the tunnel is up), then stream.
  socket.once('data', () => {
    const pump = () => {
      while (left > 0) {
        left--;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      socket.end();
    };
    pump();
  });
}).listen(port, '127.0.0.1');
