// The operator's decision commands work the same on the core of a state dir (through its feed) and on a
// gateway over gRPC (`--endpoint`, here our own served core): the same story, step by step, run against
// each, with a real agent (curl) held by the real proxy and real exit codes for what goes wrong.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { startCoreProcess, type CoreProcess } from '../../helpers/core-process.js';
import { curlVia } from '../../helpers/curl.js';
import { startUpstream } from '../../helpers/upstream.js';

interface Listed {
  id: string;
  host: string;
  held: number;
  status: string;
  sandbox: string;
}

let upstream: Awaited<ReturnType<typeof startUpstream>>;
beforeAll(async () => {
  upstream = await startUpstream('decided hello');
});
afterAll(async () => {
  await upstream?.close();
});

const HOSTS = ['one', 'two', 'three', 'four', 'five', 'six'].map((h) => `${h}.test`);

describe.each([
  { via: 'the core of a state dir (feed)', remote: false },
  { via: 'a gRPC gateway (--endpoint)', remote: true },
])('decision commands against $via', ({ remote }) => {
  let core: CoreProcess;
  let target: string[];

  beforeAll(async () => {
    const coreDir = mkdtempSync(join(tmpdir(), 'ost-decide-core-'));
    const flags = ['--grpc-listen', '127.0.0.1:0', '--allow-loopback', '--hold-timeout', '20'];
    for (const h of HOSTS) flags.push('--resolve', `${h}:127.0.0.1`);
    core = await startCoreProcess(coreDir, flags);
    // The gateway API answers only its operator: the CLI runs as the core's operator would, on the core's
    // state dir, where it finds the core's token (checked against the live core; tokens are per lifetime).
    target = remote ? ['--endpoint', core.grpc!, '--state-dir', coreDir] : ['--state-dir', coreDir];
  });
  afterAll(async () => {
    await core?.stop();
  });

  const cli = (...args: string[]) => runCli([...args, ...target]);
  const url = (host: string, path = '/') => `http://${host}:${upstream.port}${path}`;
  /** Starts a held request and resolves with the agent's answer, once the CLI lists it as held. */
  async function held(host: string): Promise<{ entry: Listed; answer: Promise<{ status: number; body: string }> }> {
    const answer = curlVia(core.proxy, url(host, '/x'));
    for (let i = 0; i < 200; i++) {
      const r = await cli('requests', '--json');
      expect(r.stderr).toBe('');
      // A gateway's draft chunk does not count held connections: pending is all it can say.
      const entry = (JSON.parse(r.stdout) as Listed[]).find((x) => x.host === host && x.status === 'pending' && (remote || x.held > 0));
      if (entry) return { entry, answer };
    }
    throw new Error(`${host} never showed up as held`);
  }
  const status = async (id: string) =>
    (JSON.parse((await cli('requests', '--all', '--json')).stdout) as Listed[]).find((r) => r.id === id)?.status;

  it('approve lets the held agent through; undo makes it ask again', async () => {
    const { entry, answer } = await held('one.test');
    expect(entry.sandbox).toBe('local');
    expect(entry.id).toBe(remote ? 'local/r1' : 'r1');
    // A gateway's ids are sandbox/chunk; the chunk id alone is enough when it names one request.
    const approved = await cli('approve', 'r1');
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(remote ? 'as a new policy revision' : 'for session');
    expect(await answer).toEqual({ status: 200, body: 'decided hello' });
    expect(await status(entry.id)).toBe('approved');
    const undone = await cli('undo', entry.id);
    expect(undone.code).toBe(0);
    expect(undone.stdout).toContain('pending again');
  }, 60_000);

  it('reject answers the agent 403 with the reason; --json returns the request as decided', async () => {
    const { entry, answer } = await held('two.test');
    const rejected = await cli('reject', entry.id, '--reason', 'not this one', '--json');
    expect(rejected.code).toBe(0);
    expect(JSON.parse(rejected.stdout)).toMatchObject({ id: entry.id, status: 'rejected' });
    const r = await answer;
    expect(r.status).toBe(403);
    expect(r.body).toContain('not this one');
  }, 60_000);

  it('approve-all approves every pending request at once', async () => {
    const a = await held('three.test');
    const b = await held('four.test');
    const all = await cli('approve-all', '--json');
    expect(all.code).toBe(0);
    const ids = (JSON.parse(all.stdout) as Listed[]).map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining([a.entry.id, b.entry.id]));
    expect((await a.answer).status).toBe(200);
    expect((await b.answer).status).toBe(200);
  }, 60_000);

  it('policy revisions and policy get show the decisions as revisions', async () => {
    const revisions = await cli('policy', 'revisions', '--json');
    expect(revisions.code).toBe(0);
    const numbers = (JSON.parse(revisions.stdout) as Array<{ number: number }>).map((r) => r.number);
    expect(numbers.length).toBeGreaterThan(1);
    expect([...numbers].sort((x, y) => x - y)).toEqual(numbers);
    const policy = await cli('policy', 'get', '--full');
    expect(policy.code).toBe(0);
    expect(policy.stdout).toMatch(/^Version: \d+/);
    expect(policy.stdout).toContain('three.test');
  }, 60_000);

  it('promote previews with --dry-run, then writes, applies and releases the request', async () => {
    const { entry, answer } = await held('five.test');
    const dry = await cli('promote', entry.id, '--preset', 'five-test', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would write');
    expect(dry.stdout).toContain('host: five.test');
    expect(dry.stdout).toContain('access: read-only');
    const done = await cli('promote', entry.id, '--preset', 'five-test');
    expect(done.stderr).toBe('');
    expect(done.stdout).toContain("to preset 'five-test'");
    expect((await answer).status).toBe(200);
    const builtin = await cli('promote', entry.id, '--preset', 'pypi', '--dry-run');
    expect(builtin.code).toBe(5); // conflict: a built-in name
  }, 60_000);

  it('says what went wrong with an exit code per kind of error', async () => {
    const missing = await cli('approve', 'r999');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("no request with id 'r999'");
    const noSandbox = await cli('policy', 'get', '--sandbox', 'elsewhere');
    expect(remote ? noSandbox.code : 0).toBe(remote ? 3 : 0); // a core has one sandbox, whatever it is called
    const { entry, answer } = await held('six.test');
    const lifetime = await cli('approve', entry.id, '--for', '10m');
    if (remote) {
      expect(lifetime.code).toBe(7); // unimplemented: a gateway approval is a revision, with no lifetime
      expect(lifetime.stderr).toContain('has no lifetime');
      await cli('reject', entry.id);
    } else expect(lifetime.code).toBe(0);
    await answer;
    const bad = await cli('approve', entry.id, '--for', 'forever');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("invalid lifetime 'forever'");
  }, 60_000);
});

describe('with nothing to talk to', () => {
  it('no core for the state dir is "unavailable" (exit 10), with how to start one', async () => {
    const r = await runCli(['approve-all', '--state-dir', mkdtempSync(join(tmpdir(), 'ost-decide-none-'))]);
    expect(r.code).toBe(10);
    expect(r.stderr).toContain('no core is running');
    expect(r.stderr).toContain('openshell-term core --state-dir');
  });

  it('an unknown gateway name is a usage problem (exit 2), not a crash', async () => {
    const config = mkdtempSync(join(tmpdir(), 'ost-decide-cfg-'));
    const r = await runCli(['requests', '--gateway', 'nowhere', '--state-dir', config], undefined, {
      XDG_CONFIG_HOME: config,
      OPENSHELL_SYSTEM_GATEWAY_DIR: join(config, 'none'),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
