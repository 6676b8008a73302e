// `preset list|add|remove --endpoint` against a served core (a separate process, over gRPC): the preset
// is merged into the live policy, --wait reports it loaded; and against a gateway that never loads the
// new version, --wait gives up with exit 124 like the OpenShell CLI.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApi } from '../../src/gateway/grpc/proto.js';
import { runCli } from '../helpers/cli.js';
import { startCoreProcess, type CoreProcess } from '../helpers/core-process.js';
import { freePort } from '../helpers/tmux.js';
import { makeTestCertificates } from '../helpers/test-certificates.js';

let core: CoreProcess;
let coreDir: string;
let consoleDir: string;

beforeAll(async () => {
  coreDir = mkdtempSync(join(tmpdir(), 'ost-rp-core-'));
  core = await startCoreProcess(coreDir, ['--grpc-listen', `127.0.0.1:${await freePort()}`]);
  consoleDir = mkdtempSync(join(tmpdir(), 'ost-rp-cli-'));
});

afterAll(async () => {
  await core?.stop();
});

// The CLI keeps its presets in its own state dir here, so it is given the core's token as a gateway's:
// every call on the gateway API authenticates, loopback included.
const coreToken = () => readFileSync(join(coreDir, 'control.token'), 'utf8').trim();
const cli = (...args: string[]) =>
  runCli([...args, '--endpoint', core.grpc!, '--state-dir', consoleDir], undefined, { OPENSHELL_TOKEN: coreToken() });

describe('presets on a gateway sandbox', () => {
  it('add merges the preset into the live policy and --wait sees it loaded; list shows it applied', async () => {
    const add = await cli('preset', 'add', 'pypi', '--wait');
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/applied preset 'pypi' on local \(127\.0\.0\.1\): policy version \d+/);
    expect(add.stdout).toMatch(/policy version \d+ loaded/);
    const list = await cli('preset', 'list', '--json');
    expect(JSON.parse(list.stdout).find((p: { name: string }) => p.name === 'pypi')).toMatchObject({ applied: true });
  });

  it('a preset file is checked, kept locally, and merged; --dry-run shows the merge operations only', async () => {
    const file = join(consoleDir, 'internal-docs.yaml');
    writeFileSync(
      file,
      'preset:\n  name: internal-docs\n  description: docs\nnetwork_policies:\n  internal_docs:\n    name: internal_docs\n    endpoints:\n      - { host: docs.internal.example, port: 443 }\n    binaries:\n      - { path: /usr/bin/curl }\n',
    );
    const dry = await cli('preset', 'add', '--from-file', file, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('add_rule');
    expect(dry.stdout).toContain('docs.internal.example');
    const add = await cli('preset', 'add', '--from-file', file);
    expect(add.code).toBe(0);
    const list = JSON.parse((await cli('preset', 'list', '--json')).stdout);
    expect(list.find((p: { name: string }) => p.name === 'internal-docs')).toMatchObject({ applied: true, source: 'custom' });
    expect(list.find((p: { name: string }) => p.name === 'pypi')).toMatchObject({ applied: true }); // still there: a merge
  });

  it('remove takes exactly its rules out; unknown sandboxes and presets are clear errors', async () => {
    const rm = await cli('preset', 'remove', 'pypi', '--yes');
    expect(rm.code).toBe(0);
    const list = JSON.parse((await cli('preset', 'list', '--json')).stdout);
    expect(list.find((p: { name: string }) => p.name === 'pypi')).toMatchObject({ applied: false });
    expect(list.find((p: { name: string }) => p.name === 'internal-docs')).toMatchObject({ applied: true });
    const noSandbox = await cli('preset', 'add', 'npm', '--sandbox', 'nope');
    expect(noSandbox.code).toBe(1);
    expect(noSandbox.stderr).toContain("sandbox 'nope' not found");
    const noPreset = await cli('preset', 'add', 'no-such-preset');
    expect(noPreset.code).toBe(1);
    expect(noPreset.stderr).toContain("no preset named 'no-such-preset'");
  });
});

describe('--wait against a sandbox that never loads the new version', () => {
  let server: grpc.Server;
  let endpoint: string;

  beforeAll(async () => {
    // A real gRPC server speaking the same service: it accepts the merge, and the sandbox never reports loading it.
    server = new grpc.Server();
    const reply = (value: object) => (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, value);
    server.addService(loadApi('v1').definition, {
      Health: reply({ status: 'SERVICE_STATUS_HEALTHY', version: '0.1.7' }),
      ListSandboxes: reply({ sandboxes: [{ metadata: { id: 'sb-1', name: 'slow', workspace: 'default' } }], next_page_token: '' }),
      UpdateConfig: reply({ version: 7, policy_hash: 'abc' }),
      GetSandboxPolicyStatus: reply({ revision: { version: 7, status: 'POLICY_STATUS_PENDING' }, active_version: 6 }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    endpoint = `http://127.0.0.1:${port}`;
  });

  afterAll(() => server?.forceShutdown());

  it('exits 124 after --timeout', async () => {
    const r = await runCli(['preset', 'add', 'npm', '--endpoint', endpoint, '--wait', '--timeout', '1.5', '--state-dir', consoleDir]);
    expect(r.stdout).toContain("applied preset 'npm' on slow");
    expect(r.stderr).toContain('Timeout waiting for policy version 7 to load');
    expect(r.code).toBe(124);
  });
});

describe('a core serving the gateway API over mTLS', () => {
  let secure: CoreProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    const certs = makeTestCertificates();
    secure = await startCoreProcess(mkdtempSync(join(tmpdir(), 'ost-rp-mtls-')), [
      '--grpc-listen',
      `127.0.0.1:${await freePort()}`,
      '--grpc-tls-cert',
      certs.file('server.crt'),
      '--grpc-tls-key',
      certs.file('server.key'),
      '--grpc-client-ca',
      certs.file('ca.crt'),
    ]);
    // The client finds its certificates as the OpenShell CLI would: a gateway entry with that endpoint.
    const config = mkdtempSync(join(tmpdir(), 'ost-rp-mtls-config-'));
    const gw = join(config, 'openshell', 'gateways', 'lab');
    mkdirSync(join(gw, 'mtls'), { recursive: true });
    writeFileSync(join(gw, 'metadata.json'), JSON.stringify({ name: 'lab', gateway_endpoint: secure.grpc, auth_mode: 'mtls' }));
    for (const [from, to] of [
      ['ca.crt', 'ca.crt'],
      ['client.crt', 'tls.crt'],
      ['client.key', 'tls.key'],
    ] as const)
      writeFileSync(join(gw, 'mtls', to), certs.pem(from));
    env = { XDG_CONFIG_HOME: config, OPENSHELL_SYSTEM_GATEWAY_DIR: join(config, 'none') };
  });

  afterAll(async () => {
    await secure?.stop();
  });

  it('records an https endpoint; --gateway NAME reaches it with the client certificate', async () => {
    expect(secure.grpc).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const add = await runCli(['preset', 'add', 'npm', '--gateway', 'lab', '--wait', '--state-dir', consoleDir], undefined, env);
    expect(add.stderr).toBe('');
    expect(add.stdout).toMatch(/applied preset 'npm' on local \(lab\)[\s\S]*loaded/);
  });

  it('without the gateway entry (no client certificate, no CA) the connection is refused', async () => {
    const r = await runCli(['preset', 'list', '--endpoint', secure.grpc!, '--state-dir', consoleDir], undefined, {
      XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'ost-rp-empty-')),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
  });
});
