// The operator views in the real console (Ink), on real gRPC: against our served core speaking 0.1.x
// (workspaces in the title bar and `w`, the sandbox's metadata, settings set and deleted through the
// confirm dialog, draft history, log copy over OSC 52), and against a gateway double that holds real
// provider credentials (the console shows their names and expiry, never a value).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { MergeManager } from '../../src/core/merges/merge-manager.js';
import { MergedRules } from '../../src/core/merges/merged-rules.js';
import { PresetStore } from '../../src/core/presets/preset-store.js';
import { resolveConnection } from '../../src/gateway/grpc/connection-target.js';
import { GrpcGateway } from '../../src/gateway/grpc/grpc-gateway.js';
import { connectionOf, OpenShellRpc } from '../../src/gateway/grpc/openshell-client.js';
import { OpenShellServer } from '../../src/gateway/grpc/openshell-server.js';
import { osc52 } from '../../src/store/ui/osc52.js';
import { startGatewayDouble, type GatewayDouble } from '../gateway/helpers/gateway-double.js';
import { KEYS } from '../helpers/console.js';
import { renderGatewayConsole } from '../helpers/gateway-console.js';

const TOKEN = 'operator-views-token';
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const C_U = '\u0015';
/** Frames to wait (40 ms each): generous, since other suites load the machine while this one runs. */
const PATIENCE = 750;

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1500 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!check()) throw new Error('timed out');
}

// A frame wait may take PATIENCE tries (about 30 s on a loaded machine); the test's own bound is above that,
// so a slow machine gets the wait's message (with the last frame) rather than a bare 20 s timeout.
describe('operator views against the served core (0.1.x, real gRPC)', { timeout: 60_000 }, () => {
  let core: EnforcementCore;
  let server: OpenShellServer;
  let direct: GrpcGateway;
  let ui: Awaited<ReturnType<typeof renderGatewayConsole>>;

  const gatewayOn = async (port: number) =>
    new GrpcGateway({
      rpc: new OpenShellRpc(connectionOf(resolveConnection({ endpoint: `http://127.0.0.1:${port}` }, { OPENSHELL_TOKEN: TOKEN }))),
      presets: await PresetStore.open(tmp('ost-views-presets-')),
      pollMs: 3_600_000,
    });

  beforeAll(async () => {
    const merged = await MergedRules.open(tmp('ost-views-'));
    core = new EnforcementCore({ baseline: { version: 1, network_policies: {} }, presetLayers: () => [merged.layer()], holdTimeoutMs: 0 });
    const sandbox = { id: 'sb-1', name: 'box', createdAt: Date.now(), core, merges: new MergeManager(merged, core) };
    server = new OpenShellServer({ sandboxes: [sandbox], version: '0.1.9', token: TOKEN });
    const { port } = await server.listen('127.0.0.1', 0);
    direct = await gatewayOn(port);
    await direct.start();
    ui = await renderGatewayConsole(await gatewayOn(port));
    await ui.waitForFrame((f) => f.includes('● connected'), 'the console connected', PATIENCE);
  }, 30_000);

  afterAll(async () => {
    await ui?.stop();
    await direct?.stop();
    await server?.close();
  });

  it('the title bar names the protocol and the workspace; w switches to all workspaces and back', async () => {
    const first = await ui.waitForFrame((f) => f.includes('workspace default'), 'the workspace in the title bar', PATIENCE);
    // The served core answers under both 0.1.x service names; the probe settles on one and says which.
    expect(first).toMatch(/0\.1\.9 · (openshell|ryno)\.v1/);
    // w before the gateway has listed its workspaces says so and does nothing; once listed, it switches.
    await until(() => ui.store.getState().queries.workspaces?.status === 'ok');
    await ui.press('w');
    await ui.waitForFrame((f) => f.includes('all workspaces') && f.includes('showing all workspaces'), 'all workspaces', PATIENCE);
    await ui.press('w');
    await ui.waitForFrame((f) => f.includes('workspace default') && f.includes('showing workspace default'), 'back to default', PATIENCE);
  });

  it('i shows the sandbox metadata from the gateway: phase, admission, restarts, policy version and load status', async () => {
    await ui.press('3', 'i');
    const f = await ui.waitForFrame((x) => x.includes('Sandbox box') && x.includes('loaded'), 'the metadata pane', PATIENCE);
    expect(f).toMatch(/phase\s+Ready/);
    expect(f).toMatch(/admission\s+accepted/);
    expect(f).toMatch(/restarts\s+0/);
    expect(f).toMatch(/policy\s+version \d+ loaded/);
    await ui.press(KEYS.escape);
    await ui.waitForFrame((x) => x.includes('Effective policy'), 'back to the policy', PATIENCE);
  });

  it('s lists settings with their source; e sets one (a bad value is refused first), y confirms; d deletes it', async () => {
    await ui.press('s');
    await ui.waitForFrame((f) => f.includes('ocsf_json_enabled') && f.includes('global'), 'the settings view', PATIENCE);
    await ui.press('j', 'e');
    await ui.waitForFrame((f) => f.includes('set ocsf_json_enabled (sandbox) ='), 'the setting prompt', PATIENCE);
    await ui.type('maybe');
    await ui.press(KEYS.enter);
    await ui.waitForFrame((f) => f.includes("takes a bool (true/false, yes/no, on/off, 1/0), got 'maybe'"), 'the typed check', PATIENCE);
    expect((await direct.settings({})).find((s) => s.key === 'ocsf_json_enabled')?.source).toBe('unset'); // nothing was sent
    await ui.press(C_U);
    await ui.type('yes');
    await ui.press(KEYS.enter);
    await ui.waitForFrame((f) => f.includes('Set ocsf_json_enabled = true (sandbox box; was unset)?'), 'the confirm dialog', PATIENCE);
    expect((await direct.settings({})).find((s) => s.key === 'ocsf_json_enabled')?.source).toBe('unset'); // not before y
    await ui.press('y');
    await ui.waitForFrame((f) => f.includes('set ocsf_json_enabled = true (sandbox box)'), 'set', PATIENCE);
    expect((await direct.settings({})).find((s) => s.key === 'ocsf_json_enabled')).toMatchObject({ value: 'true', source: 'sandbox' });
    await ui.waitForFrame((f) => /› sandbox\s+ocsf_json_enabled\s+sandbox\s+bool\s+true/.test(f), 'the row fetched again', PATIENCE);
    // As upstream, the gateway deletes settings at global scope only: its refusal reaches the status line.
    await ui.press('d');
    await ui.waitForFrame((f) => f.includes('Delete ocsf_json_enabled (sandbox box)?'), 'the delete confirm', PATIENCE);
    await ui.press('y');
    await ui.waitForFrame(
      (f) => f.includes('delete ocsf_json_enabled (sandbox box) failed: sandbox-scoped setting deletes'),
      'refused',
      PATIENCE,
    );
    // The global value: set it (it wins over the sandbox's, and the sandbox row says so), then delete it.
    await ui.press('j', 'j', 'j', 'j', 'e', C_U);
    await ui.waitForFrame((f) => f.includes('set ocsf_json_enabled (global) ='), 'the global prompt', PATIENCE);
    await ui.type('off');
    await ui.press(KEYS.enter);
    await ui.waitForFrame((f) => f.includes('Set ocsf_json_enabled = false (gateway-global; was unset)?'), 'the global confirm', PATIENCE);
    await ui.press('y');
    await ui.waitForFrame(
      (f) => /sandbox\s+ocsf_json_enabled\s+global\s+bool\s+false/.test(f),
      'the sandbox row now from global',
      PATIENCE,
    );
    await ui.press('d', 'y');
    await ui.waitForFrame((f) => f.includes('deleted ocsf_json_enabled (gateway-global)'), 'deleted', PATIENCE);
    expect((await direct.settings('global')).find((s) => s.key === 'ocsf_json_enabled')?.source).toBe('unset');
    expect((await direct.settings({})).find((s) => s.key === 'ocsf_json_enabled')).toMatchObject({ value: 'true', source: 'sandbox' });
    await ui.press(KEYS.escape);
  });

  it('H shows the draft history of the sandbox', async () => {
    await core.evaluate({ host: 'history.example', port: 443, binary: '/usr/bin/curl' });
    await ui.press('3', 'H');
    await ui.waitForFrame(
      (f) => f.includes('Draft history') && f.includes('proposed') && f.includes('allow_history_example_443'),
      'the history',
      PATIENCE,
    );
    await ui.press(KEYS.escape);
  });

  it('y on the logs writes the line to the clipboard as OSC 52', async () => {
    core.log('info', 'agent', 'copy me, please');
    await ui.press('4');
    await ui.waitForFrame((f) => f.includes('copy me, please'), 'the log line', PATIENCE);
    await ui.press('y');
    await ui.waitForFrame((f) => f.includes('copied 1 log line to the clipboard'), 'copied', PATIENCE);
    const line = ui.store.getState().logs.at(-1)!;
    expect(line.message).toBe('copy me, please');
    expect(ui.written()).toContain(osc52(`${new Date(line.time).toISOString()} info ${line.source} copy me, please`));
  });
});

describe('provider detail against a gateway double that holds real credential values', () => {
  let double: GatewayDouble;
  let ui: Awaited<ReturnType<typeof renderGatewayConsole>>;

  beforeAll(async () => {
    double = await startGatewayDouble();
    ui = await renderGatewayConsole(
      new GrpcGateway({
        rpc: new OpenShellRpc(connectionOf(resolveConnection({ endpoint: `http://127.0.0.1:${double.port}` }, {}))),
        workspace: 'team',
        presets: await PresetStore.open(tmp('ost-views-double-')),
        pollMs: 3_600_000,
      }),
    );
    await ui.waitForFrame((f) => f.includes('● connected'), 'connected to the double', PATIENCE);
  }, 30_000);

  afterAll(async () => {
    await ui?.stop();
    await double?.close();
  });

  it(':creds github shows type, credential names and expiry; no credential value ever reaches the terminal', async () => {
    expect(ui.frame()).toContain('ryno.v1');
    await ui.press(':');
    await ui.type('creds github');
    await ui.press(KEYS.enter);
    const f = await ui.waitForFrame((x) => x.includes('Provider github') && x.includes('GITHUB_TOKEN'), 'the provider detail', PATIENCE);
    expect(f).toMatch(/GITHUB_TOKEN expires 2027-01-01 00:00 UTC/);
    expect(f).toMatch(/GH_ENTERPRISE_TOKEN does not expire/);
    expect(f).toContain('GITHUB_API_URL');
    // Not on screen, and not in any byte ever written to the terminal.
    expect(ui.written()).not.toMatch(/ghp_supersecretvalue|ghe_othersecret/);
    expect(JSON.stringify(ui.store.getState())).not.toMatch(/ghp_|ghe_/);
    await ui.press(KEYS.escape);
    await ui.waitForFrame((x) => x.includes('Gateways'), 'the dashboard again', PATIENCE);
  });

  it('an unknown provider says so where the detail would be', async () => {
    await ui.press(':');
    await ui.type('creds nope');
    await ui.press(KEYS.enter);
    await ui.waitForFrame((x) => x.includes('provider nope: provider not found'), 'the not-found', PATIENCE);
    await ui.press(KEYS.escape);
  });
});
