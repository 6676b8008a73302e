// A console attached over gRPC to our own core finds the core's control token through the state dir. Tokens
// are new per core lifetime, so the client reads it again before each (re)connect, and only after checking
// that the core core.json names is alive and owns the endpoint: a core killed -9 whose port was taken by
// someone else never gets that someone the token.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { refreshLocalBearer, resolveConnection } from '../../src/gateway/grpc/connection-target.js';
import { connectionOf, OpenShellRpc } from '../../src/gateway/grpc/openshell-client.js';
import { startCoreProcess, type CoreProcess } from '../helpers/core-process.js';
import { freePort } from '../helpers/tmux.js';

/** A gRPC server that answers every method UNIMPLEMENTED and remembers the authorization it was shown. */
async function impostor(port: number): Promise<{ seen: string[]; close(): void }> {
  const seen: string[] = [];
  const server = new grpc.Server();
  // grpc-js has no catch-all handler: register Health on both service names the client probes.
  for (const service of ['ryno.v1.Ryno', 'openshell.v1.OpenShell']) {
    server.addService(
      {
        Health: {
          path: `/${service}/Health`,
          requestStream: false,
          responseStream: false,
          requestSerialize: (v: Buffer) => v,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (v: Buffer) => v,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      {
        Health: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          seen.push(String(call.metadata.get('authorization')[0] ?? ''));
          callback({ code: grpc.status.UNIMPLEMENTED, details: 'not a core' });
        },
      },
    );
  }
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
  );
  return { seen, close: () => server.forceShutdown() };
}

describe('the local core token over gRPC', () => {
  let core: CoreProcess | undefined;
  afterEach(async () => {
    core?.child.kill('SIGKILL');
    core = undefined;
  });

  it('is read again after a restart, and never sent to what took the port of a core killed -9', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-local-token-'));
    const port = await freePort();
    core = await startCoreProcess(dir, ['--grpc-listen', `127.0.0.1:${port}`]);
    const target = resolveConnection({ endpoint: `http://127.0.0.1:${port}` }, {}, { stateDir: dir });
    expect(target.localCore).toBe(dir);
    await refreshLocalBearer(target);
    const first = target.bearer;
    expect(first).toMatch(/\S{16,}/);

    // kill -9: core.json stays behind, naming a dead pid; someone else takes the port.
    core.child.kill('SIGKILL');
    await new Promise((r) => core!.child.once('exit', r));
    core = undefined;
    const fake = await impostor(port);
    try {
      const rpc = new OpenShellRpc(connectionOf(target));
      await rpc.refresh();
      expect(target.bearer).toBeUndefined();
      await rpc.call('Health', {}, 2000).catch(() => undefined);
      rpc.close();
      expect(fake.seen.length).toBeGreaterThan(0);
      expect(fake.seen.every((a) => a === '')).toBe(true);
    } finally {
      fake.close();
    }

    // A new core on the same state dir and port: a new token, found before the next connect.
    core = await startCoreProcess(dir, ['--grpc-listen', `127.0.0.1:${port}`]);
    await refreshLocalBearer(target);
    expect(target.bearer).toMatch(/\S{16,}/);
    expect(target.bearer).not.toBe(first);
  }, 60_000);
});
