// The inbox's gateway features in the real console (Ink) on a GrpcGateway attached over real gRPC to our
// served core, in both protocol generations, with real curl through the core's proxy: a denial on the
// watch stream shows at once as "awaiting proposal" and is upgraded in place; an undraftable one is listed
// beside the inbox with why; approve-all lists what it will approve and y lets them through; v re-approves
// a rejected request; what the core cannot do (narrow, clear) reaches the status line in its own words.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PresetStore } from '../../src/core/presets/preset-store.js';
import { type Standalone, startStandalone } from '../../src/gateway/embedded/standalone.js';
import { resolveConnection } from '../../src/gateway/grpc/connection-target.js';
import { GrpcGateway } from '../../src/gateway/grpc/grpc-gateway.js';
import { connectionOf, OpenShellRpc } from '../../src/gateway/grpc/openshell-client.js';
import { curlVia } from '../helpers/curl.js';
import { KEYS, startGatewayConsole } from '../helpers/gateway-console.js';
import { freePort } from '../helpers/tmux.js';
import { startUpstream } from '../helpers/upstream.js';

type Generation = 'current' | 'legacy';
const HOSTS = ['one.test', 'two.test', 'back.test', 'narrow.test', 'clear.test'];

describe.each(['current', 'legacy'] as Generation[])('the inbox on our served core (%s generation)', (generation) => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let core: Standalone;
  let coreDir: string;
  let proxy: string;
  let ui: Awaited<ReturnType<typeof startGatewayConsole>>;
  const curl = (host: string, path = '/') => curlVia(proxy, `http://${host}:${upstream.port}${path}`);

  beforeAll(async () => {
    upstream = await startUpstream('hello from the served core');
    coreDir = mkdtempSync(join(tmpdir(), 'ost-inbox-core-'));
    const ports = { grpc: await freePort(), legacy: await freePort(), proxy: await freePort() };
    core = await startStandalone({
      stateDir: coreDir,
      proxyListen: `127.0.0.1:${ports.proxy}`,
      grpcListen: `127.0.0.1:${ports.grpc}`,
      grpcLegacyListen: `127.0.0.1:${ports.legacy}`,
      resolve: HOSTS.map((h) => `${h}:127.0.0.1`),
      allowLoopback: true,
      holdTimeoutSeconds: 20,
      identify: async () => ({ binary: '/usr/bin/curl' }),
    });
    proxy = `http://127.0.0.1:${ports.proxy}`;
    const rpc = new OpenShellRpc(
      connectionOf(
        resolveConnection(
          { endpoint: `http://127.0.0.1:${generation === 'current' ? ports.grpc : ports.legacy}` },
          {},
          { stateDir: coreDir },
        ),
      ),
    );
    const presets = await PresetStore.open(mkdtempSync(join(tmpdir(), 'ost-inbox-console-')));
    ui = await startGatewayConsole(new GrpcGateway({ rpc, presets, pollMs: 500 }));
    await ui.waitForFrame((f) => f.includes('● connected'), 'connected');
  }, 30_000);

  afterAll(async () => {
    await ui?.stop();
    await core?.stop();
    await upstream?.close();
  });

  it('a denial on the stream is listed at once as awaiting proposal, then upgraded in place (one row)', async () => {
    core.core.log('info', 'ocsf', 'NET:OPEN [MED] DENIED wget(77) -> slow.test:443 [policy:- engine:opa] [reason:no matching policy]');
    await ui.waitForFrame((f) => /slow\.test:443.*awaiting proposal/.test(f), 'the awaiting row');
    // The chunk arrives (the core records the request the denial was about; it waits for a decision).
    void core.core.evaluate({ host: 'slow.test', port: 443, binary: '/usr/bin/wget' });
    const upgraded = await ui.waitForFrame((f) => /slow\.test:443.*pending/.test(f) && !f.includes('awaiting proposal'), 'the upgrade');
    expect(upgraded.match(/slow\.test:443/g)).toHaveLength(1);
    expect(ui.store.getState().order.filter((id) => ui.store.getState().requests[id].host === 'slow.test')).toHaveLength(1);
  });

  it('a denial that can never be drafted is listed beside the inbox with why', async () => {
    for (let i = 0; i < 2; i++)
      core.core.log('info', 'ocsf', 'NET:OPEN [MED] DENIED curl(9) -> 169.254.169.254:80 [policy:- engine:ssrf] [reason:internal address]');
    const frame = await ui.waitForFrame((f) => f.includes('Denied, never drafted') && f.includes('×2'), 'the never-drafted list');
    expect(frame).toMatch(/169\.254\.169\.254:80 curl ×2 local · destination guard: 169\.254\.169\.254 is an always-blocked/);
    expect(frame).not.toMatch(/169\.254\.169\.254:80 .*│/); // not an inbox row
  });

  it('A lists what approve-all will approve; y approves exactly those and the agents get through', async () => {
    await ui.press('/');
    await ui.type('.test');
    await ui.press(KEYS.enter);
    const waiting = [curl('one.test', '/a'), curl('two.test', '/b')];
    await ui.waitForFrame((f) => f.includes('GET /a') && f.includes('GET /b'), 'both proposals');
    await ui.press('A');
    const dialog = await ui.waitForFrame((f) => f.includes('visible pending requests (one policy revision)'), 'the dialog');
    expect(dialog).toMatch(/Approve all 3 visible pending requests/); // slow.test is still pending too
    for (const host of ['one.test', 'two.test', 'slow.test']) expect(dialog).toMatch(new RegExp(`✓ ${host.replace('.', '\\.')}:\\d+`));
    await ui.press('y');
    for (const r of await Promise.all(waiting)) expect(r).toEqual({ status: 200, body: 'hello from the served core' });
    await ui.waitForFrame((f) => f.includes('approved 3 requests'), 'the status line');
    await ui.press(KEYS.escape);
  }, 20_000);

  it('v re-approves a rejected request: the agent is let through on its next try', async () => {
    const first = curl('back.test', '/x');
    await ui.waitForFrame((f) => f.includes('back.test'), 'the proposal');
    await ui.press('/');
    await ui.type('back.test');
    await ui.press(KEYS.enter);
    await ui.press('x');
    expect((await first).status).toBe(403);
    await ui.waitForFrame((f) => /back\.test.*rejected/.test(f), 'rejected');
    await ui.press('v');
    await ui.waitForFrame((f) => f.includes('re-approved'), 're-approved');
    expect((await curl('back.test', '/x')).status).toBe(200);
    await ui.press(KEYS.escape);
  }, 20_000);

  it('what the core cannot do (narrow a proposal, clear pending requests) is said on the status line', async () => {
    const held = curl('narrow.test', '/n');
    await ui.waitForFrame((f) => f.includes('narrow.test'), 'the proposal');
    await ui.press('/');
    await ui.type('narrow.test');
    await ui.press(KEYS.enter);
    await ui.press('e', KEYS.tab, KEYS.tab, KEYS.tab);
    await ui.type('10.0.0.0/8');
    await ui.waitForFrame((f) => f.includes('✓ ready'), 'a valid narrowing');
    await ui.press(KEYS.enter);
    await ui.waitForFrame((f) => f.includes('failed: the embedded core proposes exactly'), 'the refusal');
    await ui.press('C');
    await ui.waitForFrame((f) => f.includes('Clear all 1 pending proposals of local?'), 'the confirm');
    await ui.press('y');
    await ui.waitForFrame((f) => f.includes("failed: the embedded core's pending requests are live connecti"), 'the clear refusal');
    await ui.press('a');
    expect((await held).status).toBe(200);
  }, 20_000);
});
