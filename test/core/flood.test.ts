// An agent floods the core: thousands of distinct destinations through the real proxy of a real `core`
// process. The inbox stays capped (the excess is refused at once, counted, and told to the operator once),
// approve-all is one revision, held slots come back the moment a client goes away, the feed's snapshot
// comes in pages, a feed client that stops reading is dropped instead of buffered, and what an agent
// sends (paths, hosts) is kept to a bounded size.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startCoreProcess, type CoreProcess } from '../helpers/core-process.js';
import { distinctHosts, flood } from '../helpers/flood.js';
import { recordFeed, until } from '../helpers/feed-socket.js';
import { RawHttpClient } from '../helpers/raw-http-client.js';

const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `ost-${name}-`));
const token = (dir: string) => readFileSync(join(dir, 'control.token'), 'utf8').trim();
const portOf = (c: CoreProcess) => Number(new URL(c.proxy).port);

interface Entry {
  id: string;
  host: string;
  status: string;
  held: number;
  binary: string;
  reason: string;
  samples: Array<{ method: string; path: string }>;
}

async function requests(dir: string, all = false): Promise<Entry[]> {
  const r = await runCli(['requests', '--json', ...(all ? ['--all'] : []), '--state-dir', dir]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const cores: CoreProcess[] = [];
async function core(dir: string, extra: string[]): Promise<CoreProcess> {
  const c = await startCoreProcess(dir, extra);
  cores.push(c);
  return c;
}
afterAll(async () => {
  await Promise.all(cores.map((c) => c.stop()));
});

describe('a flood of 3,000 distinct destinations against the default --max-pending (1,000)', () => {
  let dir: string;
  let c: CoreProcess;
  let feed: ReturnType<typeof recordFeed>;
  let result: Awaited<ReturnType<typeof flood>>;

  beforeAll(async () => {
    dir = tempDir('flood');
    c = await core(dir, ['--hold-timeout', '0']);
    feed = recordFeed(c.ws, token(dir));
    await feed.opened;
    result = await flood(portOf(c), distinctHosts(3000));
  }, 120_000);

  it('answers every request 403 at once; the inbox holds 1,000; the rest are refused as over the cap', async () => {
    expect(result.failed).toBe(0);
    expect(result.statuses).toEqual({ 403: 3000 });
    expect((await requests(dir)).length).toBe(1000);
    const overCap = [...result.reasons].filter(([reason]) => /inbox is full/.test(reason));
    expect(overCap.reduce((n, [, count]) => n + count, 0)).toBe(2000);
  }, 60_000);

  it('tells the operator once, not once per request', async () => {
    // The feed is ordered: once the result of a command arrives, every earlier event has too.
    const health = await feed.command({ type: 'health' });
    const notices = feed.frames.filter((f) => f.type === 'notice');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ notice: { kind: 'inbox-full', limit: 1000 } });
    expect(health.data).toMatchObject({ inbox: { pending: 1000, maxPending: 1000, refused: 2000 } });
  });

  it('approve-all approves the 1,000 as one policy revision', async () => {
    const r = await runCli(['approve-all', '--state-dir', dir]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('approved 1000 requests');
    expect(r.code).toBe(0);
    const revisions = JSON.parse((await runCli(['policy', 'revisions', '--json', '--state-dir', dir])).stdout);
    expect(revisions.map((rev: { cause: string }) => rev.cause)).toEqual(['baseline', 'approval']);
    expect((await requests(dir)).length).toBe(0);
  }, 120_000);
});

describe('held slots', () => {
  it('a held connection that closes gives its --max-held slot back at once', async () => {
    const dir = tempDir('slots');
    const c = await core(dir, ['--hold-timeout', '120', '--max-held', '1']);
    const first = await RawHttpClient.open(portOf(c));
    first.write('GET http://first.test/ HTTP/1.1\r\nHost: first.test\r\n\r\n');
    await until(async () => ((await requests(dir)).find((r) => r.host === 'first.test')?.held === 1 ? true : undefined));
    first.destroy();
    // Without release on close the slot stays taken for the whole 120 s hold timeout (past this test's own).
    await until(async () => ((await requests(dir)).find((r) => r.host === 'first.test')?.held === 0 ? true : undefined));
    const second = await RawHttpClient.open(portOf(c));
    second.write('GET http://second.test/ HTTP/1.1\r\nHost: second.test\r\n\r\n');
    await until(async () => ((await requests(dir)).find((r) => r.host === 'second.test')?.held === 1 ? true : undefined));
    second.destroy();
  }, 40_000);

  it('so does a held CONNECT whose client closes while its verdict is pending', async () => {
    const dir = tempDir('slots-connect');
    const c = await core(dir, ['--hold-timeout', '120', '--max-held', '1']);
    const first = await RawHttpClient.open(portOf(c));
    first.write('CONNECT first.test:443 HTTP/1.1\r\nHost: first.test:443\r\n\r\n');
    await until(async () => ((await requests(dir)).find((r) => r.host === 'first.test')?.held === 1 ? true : undefined));
    first.destroy();
    await until(async () => ((await requests(dir)).find((r) => r.host === 'first.test')?.held === 0 ? true : undefined));
    const second = await RawHttpClient.open(portOf(c));
    second.write('CONNECT second.test:443 HTTP/1.1\r\nHost: second.test:443\r\n\r\n');
    await until(async () => ((await requests(dir)).find((r) => r.host === 'second.test')?.held === 1 ? true : undefined));
    second.destroy();
  }, 40_000);
});

describe('the feed under a big inbox', () => {
  let dir: string;
  let c: CoreProcess;
  beforeAll(async () => {
    dir = tempDir('pages');
    c = await core(dir, ['--hold-timeout', '0', '--max-pending', '3000']);
    const long = `/${'p'.repeat(8000)}`;
    const r = await flood(portOf(c), distinctHosts(2500), { path: (i) => `${long}/${i}` });
    expect(r.statuses).toEqual({ 403: 2500 });
  }, 120_000);

  it('sends its snapshot in pages: a small hello, the rest on request', async () => {
    const feed = recordFeed(c.ws, token(dir));
    await feed.opened;
    await until(() => (feed.frames.length > 0 ? true : undefined));
    const hello = feed.frames[0] as { type: string; pending: Entry[]; pendingTotal: number; next?: string };
    expect(hello.type).toBe('hello');
    expect(feed.sizes[0]).toBeLessThan(1024 * 1024);
    expect(hello.pending.length).toBeLessThan(2500);
    expect(hello.pendingTotal).toBe(2500);
    const ids = new Set(hello.pending.map((r) => r.id));
    let next = hello.next;
    while (next) {
      const page = (await feed.command({ type: 'requests.page', after: next })) as { ok: true; data: { requests: Entry[]; next?: string } };
      expect(page.ok).toBe(true);
      for (const r of page.data.requests) ids.add(r.id);
      next = page.data.next;
    }
    expect(ids.size).toBe(2500);
    feed.ws.close();
  }, 60_000);

  it('keeps what the agent sent to a bounded size (an 8 KiB path is stored cut short)', async () => {
    const list = await requests(dir);
    expect(list).toHaveLength(2500);
    for (const entry of list) for (const sample of entry.samples) expect(sample.path.length).toBeLessThanOrEqual(512);
  }, 30_000);

  it('a feed client that stops reading is dropped, not buffered without bound', async () => {
    const slow = recordFeed(c.ws, token(dir));
    await slow.opened;
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    // 20,000 more attempts on the same entries: each one is a request.updated event for every client.
    const hosts = distinctHosts(2500);
    const r = await flood(
      portOf(c),
      Array.from({ length: 20_000 }, (_, i) => hosts[i % hosts.length]),
      {
        path: (i) => `/${'q'.repeat(400)}/${i}`,
      },
    );
    expect(r.failed).toBe(0);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    // Either the core dropped this client, or it is still being served: ask it something and see which.
    const outcome = await Promise.race([slow.closed.then(() => 'dropped'), slow.command({ type: 'requests.page' }).then(() => 'served')]);
    expect(outcome).toBe('dropped');
    const fresh = recordFeed(c.ws, token(dir));
    await fresh.opened;
    await until(() => (fresh.frames.length > 0 ? true : undefined));
    const logs = (fresh.frames[0] as unknown as { logs: Array<{ message: string }> }).logs;
    expect(logs.some((l) => /feed client .* fell behind/.test(l.message))).toBe(true);
    fresh.ws.close();
  }, 120_000);
});

describe('what an agent sends', () => {
  it('a host name longer than DNS allows is refused at once and never enters the inbox', async () => {
    const dir = tempDir('long-host');
    const c = await core(dir, ['--hold-timeout', '30']);
    const host = `${'a'.repeat(300)}.test`;
    const r = await flood(portOf(c), [host]);
    expect(r.statuses).toEqual({ 403: 1 });
    expect([...r.reasons.keys()][0]).toMatch(/longer than 253/);
    expect(await requests(dir, true)).toEqual([]);
  }, 30_000);
});
