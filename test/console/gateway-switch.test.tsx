// One console, two gateways: the embedded core and a served core reached over gRPC. The dashboard
// lists both; Enter on the other switches the whole screen to it live, and decisions go to that one.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayPool } from '../../src/store/gateway-pool.js';
import { ConsoleRoot } from '../../src/console/run-console.js';
import { EmbeddedGateway } from '../../src/gateway/embedded/embedded-gateway.js';
import type { GatewayEvent } from '../../src/gateway/gateway.js';
import { startStandalone, type Standalone } from '../../src/gateway/embedded/standalone.js';
import { GrpcGateway } from '../../src/gateway/grpc/grpc-gateway.js';
import { connectionOf, OpenShellRpc } from '../../src/gateway/grpc/openshell-client.js';
import { resolveConnection } from '../../src/gateway/grpc/connection-target.js';
import { PresetStore } from '../../src/core/presets/preset-store.js';
import { KEYS } from '../helpers/console.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
let local: Standalone;
let remote: Standalone;
let pool: GatewayPool;
let ink: ReturnType<typeof render>;

const frame = () => ink.lastFrame() ?? '';
const settle = () => new Promise((r) => setTimeout(r, 40));
async function press(...keys: string[]) {
  for (const key of keys) ink.stdin.write(key), await settle();
}
async function waitForFrame(check: (f: string) => boolean, what: string) {
  for (let i = 0; i < 200; i++) {
    if (check(frame())) return frame();
    await settle();
  }
  throw new Error(`timed out waiting for ${what}; last frame:\n${frame()}`);
}

beforeAll(async () => {
  const identify = async () => ({ binary: '/usr/bin/curl' });
  local = await startStandalone({ stateDir: tmp('ost-sw-local-'), proxyListen: '127.0.0.1:0', identify });
  remote = await startStandalone({
    stateDir: tmp('ost-sw-remote-'),
    proxyListen: '127.0.0.1:0',
    grpcListen: '127.0.0.1:0',
    sandboxName: 'build-box',
    identify,
  });
  const embedded = new EmbeddedGateway(local, 'test');
  const presets = await PresetStore.open(tmp('ost-sw-console-'));
  pool = new GatewayPool(
    [
      { info: embedded.info, open: () => embedded },
      {
        info: { name: 'ci-gateway', mode: 'remote', endpoint: remote.grpcUrl!, version: '' },
        open: () =>
          new GrpcGateway({
            rpc: new OpenShellRpc(
              connectionOf(resolveConnection({ endpoint: remote.grpcUrl!, gateway: 'ci-gateway' }, { OPENSHELL_TOKEN: remote.token })),
            ),
            presets,
          }),
      },
      {
        info: { name: 'broken', mode: 'remote', endpoint: 'https://broken.example', version: '' },
        open: () => {
          throw new Error('unused');
        },
        problem: '/cfg/gateways/broken/metadata.json: invalid JSON',
      },
    ],
    'embedded',
  );
  ink = render(<ConsoleRoot pool={pool} onQuit={() => {}} theme="dark" />);
  await waitForFrame((f) => f.includes('● connected'), 'the console');
});

afterAll(async () => {
  ink?.unmount();
  await pool?.stop();
  await remote?.stop();
});

describe('switching gateways from the dashboard', () => {
  it('lists every gateway with its state; a broken one says why and cannot be chosen', async () => {
    await press('2');
    const dash = await waitForFrame((f) => f.includes('ci-gateway') && f.includes('broken'), 'the gateway list');
    expect(dash).toContain('● embedded');
    expect(dash).toContain('unusable');
    await press('k', KEYS.enter); // the cursor starts on the first sandbox; one up is the last gateway
    await waitForFrame((f) => f.includes('cannot switch to broken') && f.includes('invalid JSON'), 'the refusal');
  });

  it('Enter on the other gateway puts it on screen; its requests are decided there', async () => {
    await press('k', KEYS.enter);
    await waitForFrame(
      (f) => f.includes('ci-gateway') && f.includes('remote') && f.includes('● connected'),
      'the remote gateway in the title bar',
    );
    const verdict = remote.core.evaluate({ host: 'artifacts.example', port: 443, binary: '/usr/bin/curl' });
    const inbox = await waitForFrame((f) => f.includes('artifacts.example'), 'the remote request');
    expect(inbox).toContain('build-box');
    await press('a');
    expect((await verdict).allowed).toBe(true);
    // The embedded core never saw it.
    expect(local.core.listRequests()).toHaveLength(0);
  });

  it('switching back shows the embedded core again, which kept running', async () => {
    const held = local.core.evaluate({ host: 'meanwhile.example', port: 443, binary: '/usr/bin/curl' });
    await press('2');
    await waitForFrame((f) => f.includes('Gateways'), 'the dashboard');
    await press('g', KEYS.enter);
    const inbox = await waitForFrame((f) => f.includes('embedded (standalone)') && f.includes('meanwhile.example'), 'the embedded inbox');
    expect(inbox).not.toContain('artifacts.example');
    await press('r');
    expect((await held).allowed).toBe(false);
  });

  it('a core serving as a named sandbox uses that name in its own console too', async () => {
    const own = new EmbeddedGateway(remote, 'test');
    const events: GatewayEvent[] = [];
    const unsubscribe = own.subscribe((e) => events.push(e));
    await own.start();
    unsubscribe();
    const snapshot = events.find((e) => e.type === 'snapshot') as Extract<GatewayEvent, { type: 'snapshot' }>;
    expect(snapshot.sandboxes.map((s) => s.name)).toEqual(['build-box']);
  });
});
