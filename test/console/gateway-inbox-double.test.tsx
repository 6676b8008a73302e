// The inbox's gateway features in the real console (Ink) on a GrpcGateway attached over real gRPC to the
// gateway double (helpers/gateway-double.ts: an upstream-shaped 0.1.x gateway, ryno.v1 only), for what our
// served core does not do: prover verdicts, security flags, stale proposals, a gateway-global policy,
// narrowing and clearing drafts. What the console sent is read from what the double received.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PresetStore } from '../../src/core/presets/preset-store.js';
import { resolveConnection } from '../../src/gateway/grpc/connection-target.js';
import { GrpcGateway } from '../../src/gateway/grpc/grpc-gateway.js';
import { connectionOf, OpenShellRpc } from '../../src/gateway/grpc/openshell-client.js';
import { type DoubleChunk, type GatewayDouble, startGatewayDouble } from '../gateway/helpers/gateway-double.js';
import { KEYS, startGatewayConsole } from '../helpers/gateway-console.js';

const CHUNKS = (): DoubleChunk[] => [
  {
    id: 'c-clean',
    status: 'pending',
    host: 'api.clean.test',
    port: 443,
    binary: '/usr/bin/curl',
    validation_result: 'prover: no new findings',
    review_token: 't1',
  },
  {
    id: 'c-flagged',
    status: 'pending',
    host: 'db.flagged.test',
    port: 5432,
    binary: '/usr/bin/psql',
    security_notes: 'database port',
    validation_result: 'prover: 1 finding\n  data_exfiltration: writes to a new host',
    review_token: 't2',
  },
  {
    id: 'c-stale',
    status: 'pending',
    host: 'stale.test',
    port: 443,
    binary: '/usr/bin/curl',
    application_error: 'rule conflicts with policy v5',
    review_token: 't3',
  },
  {
    id: 'c-rejected',
    status: 'rejected',
    host: 'again.test',
    port: 443,
    binary: '/usr/bin/curl',
    rejection_reason: 'scope to docs/ paths only',
    review_token: 't4',
  },
];

let double: GatewayDouble | undefined;
let ui: Awaited<ReturnType<typeof startGatewayConsole>> | undefined;

async function open(policySource: GatewayDouble['policySource'] = 'POLICY_SOURCE_SANDBOX') {
  double = await startGatewayDouble();
  double.chunks = CHUNKS();
  double.policySource = policySource;
  const rpc = new OpenShellRpc(connectionOf(resolveConnection({ endpoint: `http://127.0.0.1:${double.port}` }, {})));
  const presets = await PresetStore.open(mkdtempSync(join(tmpdir(), 'ost-double-console-')));
  ui = await startGatewayConsole(new GrpcGateway({ rpc, workspace: 'team', presets, pollMs: 300 }));
  await ui.waitForFrame((f) => f.includes('stale.test') && f.includes('again.test'), 'the inbox');
  return { double, ui };
}

/** Selects the request for a host (the filter narrows the inbox to it). */
async function select(host: string) {
  await ui!.press('/');
  await ui!.type(host);
  await ui!.press(KEYS.enter);
  await ui!.waitForFrame((f) => f.includes(`filter: ${host}`), `the filter on ${host}`);
}

const sent = (method: string) => double!.received.filter((r) => r.method === method);

afterEach(async () => {
  await ui?.stop();
  await double?.close();
  ui = undefined;
  double = undefined;
});

describe('the inbox on an upstream-shaped 0.1.x gateway', () => {
  it('rows carry the prover verdict, security flag, blocked application and rejection guidance', async () => {
    const { ui } = await open();
    const frame = await ui.waitForFrame((f) => f.includes('↩guidance'), 'the badges');
    for (const badge of ['!review', '⚠flagged', '✗blocked', '↩guidance']) expect(frame).toContain(badge);
  });

  it('A lists what approve-all approves and what it skips and why; y approves exactly the listed one', async () => {
    const { ui } = await open();
    await ui.press('A');
    const dialog = await ui.waitForFrame((f) => f.includes('Approve 1 of 3'), 'the approve-all dialog');
    expect(dialog).toMatch(/✓ api\.clean\.test:443/);
    expect(dialog).toMatch(/db\.flagged\.test:5432 +security-flagged/);
    expect(dialog).toMatch(/stale\.test:443 +stale/);
    expect(dialog).toContain('one policy revision');
    expect(sent('ApproveAllDraftChunks')).toEqual([]); // nothing is sent before y
    await ui.press('y');
    await ui.waitForFrame((f) => f.includes('approved 1 request'), 'the status line');
    expect(sent('ApproveAllDraftChunks').map((r) => r.request.approvals)).toEqual([[{ chunk_id: 'c-clean', review_token: 't1' }]]);
  });

  it('v re-approves a rejected chunk; on a pending one it explains instead', async () => {
    const { ui } = await open();
    await select('again.test');
    await ui.press('v');
    await ui.waitForFrame((f) => f.includes('re-approved'), 'the status line');
    expect(sent('ApproveDraftChunk').map((r) => r.request.chunk_id)).toEqual(['c-rejected']);
    await ui.press(KEYS.escape);
    await select('stale.test');
    await ui.press('v');
    await ui.waitForFrame((f) => f.includes('only a rejected request is re-approved'), 'the refusal');
    expect(sent('ApproveDraftChunk')).toHaveLength(1);
  });

  it('e narrows a proposal with typed validation, then Enter narrows and approves', async () => {
    const { ui } = await open();
    await select('api.clean.test');
    await ui.press('e');
    await ui.waitForFrame((f) => f.includes('Narrow') && f.includes('allowed_ips'), 'the edit form');
    // A port the proposal does not have: said at once; Enter sends nothing.
    await ui.press(KEYS.ctrlU);
    await ui.type('8443');
    await ui.waitForFrame((f) => f.includes('port 8443 is not in the proposal'), 'the port error');
    await ui.press(KEYS.enter);
    await ui.waitForFrame((f) => f.includes('Narrow'), 'the form still open');
    await ui.press(KEYS.ctrlU);
    await ui.type('443');
    // A binary pattern is not a narrowing anyone reviewed.
    await ui.press(KEYS.tab, KEYS.ctrlU);
    await ui.type('/usr/bin/*');
    await ui.waitForFrame((f) => f.includes("'/usr/bin/*' is not a literal absolute path"), 'the binary error');
    await ui.press(KEYS.ctrlU);
    await ui.type('/usr/bin/curl');
    await ui.press(KEYS.tab, KEYS.ctrlU);
    await ui.type('/v1/models');
    await ui.press(KEYS.tab);
    await ui.type('203.0.113.0/24');
    await ui.waitForFrame((f) => f.includes('✓ ready'), 'a valid form');
    expect(sent('EditDraftChunk')).toEqual([]);
    await ui.press(KEYS.enter);
    await ui.waitForFrame((f) => f.includes('approved agent/c-clean api.clean.test:443 narrowed to paths /v1/models'), 'the status line');
    const edit = sent('EditDraftChunk')[0].request as { chunk_id: string; proposed_rule: { endpoints: Array<Record<string, unknown>> } };
    expect(edit.chunk_id).toBe('c-clean');
    expect(edit.proposed_rule.endpoints[0]).toMatchObject({
      host: 'api.clean.test',
      allowed_ips: ['203.0.113.0/24'],
      rules: [{ allow: { method: 'GET', path: '/v1/models' } }],
    });
    expect(sent('ApproveDraftChunk').map((r) => r.request.chunk_id)).toEqual(['c-clean']);
  });

  it('C asks, then clears the sandbox pending proposals', async () => {
    const { ui } = await open();
    await ui.press('C');
    await ui.waitForFrame((f) => f.includes('Clear all 3 pending proposals of agent?'), 'the confirm');
    expect(sent('ClearDraftChunks')).toEqual([]);
    await ui.press('y');
    await ui.waitForFrame((f) => f.includes('cleared 3 pending proposals of agent') && !f.includes('stale.test'), 'cleared');
    expect(sent('ClearDraftChunks')).toHaveLength(1);
  });

  it('while a gateway-global policy is in force: a banner, and a, A, r, e are refused at the key, nothing sent', async () => {
    const { ui } = await open('POLICY_SOURCE_GLOBAL');
    await ui.waitForFrame(
      (f) => f.includes('Cannot approve rules while a global policy is active: agent (global policy v9)'),
      'the banner',
    );
    await select('api.clean.test');
    for (const key of ['a', 'A', 'e'])
      await ui.press(key),
        await ui.waitForFrame((f) => /Cannot (approve|modify) rules while a global policy is active \(global policy v9/.test(f));
    await ui.press('r');
    await ui.waitForFrame((f) => f.includes('Cannot modify rules while a global policy is active (global policy v9'), 'r refused');
    expect(double!.received).toEqual([]);
  });

  it('a global policy set while the console runs: the gateway refuses, the console says why and then knows', async () => {
    const { ui, double } = await open();
    await select('api.clean.test');
    double.policySource = 'POLICY_SOURCE_GLOBAL';
    await ui.press('a');
    // Refused — by the gateway in its words, or by the adapter if its last look is older than a few seconds —
    // on the status line; the banner follows (the adapter looked again).
    await ui.waitForFrame((f) => /approve agent\/c-clean failed: [Cc]annot approve rules while a global policy/.test(f), 'the refusal');
    await ui.waitForFrame(
      (f) => f.includes('Cannot approve rules while a global policy is active: agent (global policy v9)'),
      'the banner',
    );
    const sentBefore = double.received.length;
    await ui.press('a');
    await ui.waitForFrame(
      (f) => f.includes('Cannot approve rules while a global policy is active (global policy v9'),
      'refused at the key',
    );
    expect(double.received).toHaveLength(sentBefore);
    expect(double.chunks.find((c) => c.id === 'c-clean')?.status).toBe('pending');
  });
});
