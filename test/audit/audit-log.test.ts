// The audit log on real files: OCSF shape, privacy, rotation, restarts, bursts, and disk errors.
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, type NetworkEvent } from '../../src/core/audit/audit-log.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-log-'));
  file = join(dir, 'audit.jsonl');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = async (path: string) =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

const event = (n: number, extra: Partial<NetworkEvent> = {}): NetworkEvent => ({
  action: 'allowed',
  host: 'api.github.com',
  port: 443,
  binary: '/usr/bin/gh',
  policy: 'github',
  stage: 'l4',
  reason: `api.github.com:443 allowed by policy 'github'`,
  requestId: `r${n}`,
  ...extra,
});

describe('AuditLog records', () => {
  it('writes network events as OCSF Network Activity', async () => {
    const log = await AuditLog.open(file);
    const before = Date.now();
    log.network({ ...event(1), pid: 4242, method: 'GET', path: '/repos' });
    log.network({
      action: 'denied',
      host: '10.0.0.5',
      port: 6443,
      binary: '/usr/bin/curl',
      policy: null,
      stage: 'ssrf',
      reason: 'refused',
    });
    log.network({ ...event(3), action: 'held', policy: null, stage: 'no_match', reason: 'waiting for an operator' });
    log.network({ ...event(4), stage: 'l7', audit: true, reason: 'GET /x not permitted by policy (audit mode: allowed and logged)' });
    await log.close();
    const after = Date.now();
    const [allowed, denied, held, audited] = await lines(file);

    for (const record of [allowed, denied, held, audited]) {
      expect(record).toMatchObject({
        class_uid: 4001,
        class_name: 'Network Activity',
        category_uid: 4,
        metadata: { product: { name: 'openshell-term' }, version: '1.1.0' },
      });
      expect(record.type_uid).toBe(record.class_uid * 100 + record.activity_id);
      expect(Number.isInteger(record.time)).toBe(true);
      expect(record.time).toBeGreaterThanOrEqual(before);
      expect(record.time).toBeLessThanOrEqual(after);
    }
    expect(allowed).toMatchObject({
      activity_id: 1,
      severity_id: 1,
      action_id: 1,
      action: 'Allowed',
      disposition_id: 1,
      disposition: 'Allowed',
      dst_endpoint: { hostname: 'api.github.com', port: 443 },
      actor: { process: { pid: 4242, file: { path: '/usr/bin/gh', name: 'gh' } } },
      firewall_rule: { name: 'github', type: 'l4' },
      message: "api.github.com:443 allowed by policy 'github'",
      unmapped: { audit: false, request_id: 'r1', http_method: 'GET', url_path: '/repos' },
    });
    expect(denied).toMatchObject({
      activity_id: 5,
      action_id: 2,
      action: 'Denied',
      disposition: 'Blocked',
      severity_id: 3,
      dst_endpoint: { hostname: '10.0.0.5', ip: '10.0.0.5', port: 6443 },
      firewall_rule: { type: 'ssrf' },
    });
    expect(denied.firewall_rule.name).toBeUndefined();
    expect(denied.actor.process.pid).toBeUndefined();
    expect(held).toMatchObject({ activity_id: 99, type_uid: 400199, action_id: 99, disposition_id: 14, disposition: 'Delayed' });
    expect(audited).toMatchObject({ action_id: 1, disposition_id: 15, disposition: 'Detected', severity_id: 2, unmapped: { audit: true } });
  });

  it('writes config events as OCSF Entity Management with the operator as actor.user', async () => {
    const log = await AuditLog.open(file);
    log.config({ change: 'approve', actor: 'alice', target: 'pypi.org:443 /usr/bin/pip', revision: 3 });
    log.config({ change: 'undo', actor: 'alice', target: 'r7' });
    log.config({ change: 'tier', actor: 'bob', target: 'sandbox-1', detail: 'restricted → balanced' });
    await log.close();
    const [approve, undo, tier] = await lines(file);
    expect(approve).toMatchObject({
      class_uid: 3004,
      category_uid: 3,
      activity_id: 1,
      type_uid: 300401,
      actor: { user: { name: 'alice' } },
      entity: { name: 'pypi.org:443 /usr/bin/pip', type: 'approve', version: '3' },
      metadata: { product: { name: 'openshell-term' }, version: '1.1.0' },
      unmapped: { change: 'approve', revision: 3 },
    });
    expect(undo).toMatchObject({ activity_id: 4, type_uid: 300404, entity: { name: 'r7', type: 'undo' } });
    expect(tier).toMatchObject({ activity_id: 3, actor: { user: { name: 'bob' } }, message: 'restricted → balanced' });
  });

  it('never writes query strings or token-looking segments', async () => {
    const log = await AuditLog.open(file);
    log.network({
      ...event(1),
      action: 'denied',
      method: 'GET',
      path: '/repos/x?token=secret',
      reason: 'GET /repos/x?token=secret not permitted by policy',
    });
    log.network({ ...event(2), method: 'POST', path: '/hooks/AbCdEf0123456789GhIjKlMn/run?sig=secret' });
    log.config({
      change: 'reject',
      actor: 'alice',
      target: 'r1',
      detail: 'leaked https://x.example/a?token=secret in AbCdEf0123456789GhIjKlMn',
    });
    await log.close();
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('secret');
    expect(text).not.toContain('token=');
    expect(text).not.toContain('AbCdEf0123456789GhIjKlMn');
    const [first, second, third] = await lines(file);
    expect(first.unmapped.url_path).toBe('/repos/x');
    expect(first.message).toBe('GET /repos/x not permitted by policy');
    expect(second.unmapped.url_path).toBe('/hooks/[redacted]/run');
    expect(third.message).toBe('leaked https://x.example/a in [redacted]');
  });

  it('does not write on the caller’s turn: recording is queued, flush writes', async () => {
    const log = await AuditLog.open(file);
    log.network(event(1));
    // Checked synchronously: any await would give the writer its turn.
    expect(statSync(file).size).toBe(0);
    await log.flush();
    expect((await lines(file)).map((r) => r.unmapped.request_id)).toEqual(['r1']);
    await log.close();
  });

  it('writes every batch at once but fdatasyncs at most once per syncEveryMs, and on flush', async () => {
    const log = await AuditLog.open(file, { syncEveryMs: 60_000 });
    const file_ = (log as unknown as { file: { sync(): Promise<void> } }).file;
    let syncs = 0;
    const sync = file_.sync.bind(file_);
    file_.sync = () => (syncs++, sync());
    const landed = async (count: number) => {
      while ((await readFile(file, 'utf8')).split('\n').filter(Boolean).length < count) await new Promise((r) => setTimeout(r, 5));
    };
    log.network(event(1));
    await landed(1); // no flush: a killed process would still have left it in the file
    log.network(event(2));
    await landed(2);
    expect(syncs).toBe(1); // the first batch synced; the second waits for its window
    await log.flush();
    expect(syncs).toBe(2);
    await log.close();
  });

  it('lands a burst of 50k events, all in order', async () => {
    const log = await AuditLog.open(file, { maxBytes: 1024 * 1024 * 1024 });
    const count = 50_000;
    for (let i = 0; i < count; i++) log.network(event(i, { port: i }));
    await log.flush();
    const records = await lines(file);
    expect(records).toHaveLength(count);
    expect(records.every((r, i) => r.dst_endpoint.port === i)).toBe(true);
    expect(log.droppedEvents).toBe(0);
    await log.close();
  });
});

describe('AuditLog files', () => {
  it('rotates by size into .1 … .keep, keeps every file under maxBytes, and loses nothing it keeps', async () => {
    const maxBytes = 4096;
    const log = await AuditLog.open(file, { maxBytes, keep: 2 });
    let n = 0;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 5; i++) log.network(event(n++));
      await log.flush();
    }
    await log.close();
    expect((await readdir(dir)).sort()).toEqual(['audit.jsonl', 'audit.jsonl.1', 'audit.jsonl.2']);
    const kept: number[] = [];
    for (const name of ['audit.jsonl.2', 'audit.jsonl.1', 'audit.jsonl']) {
      expect((await stat(join(dir, name))).size).toBeLessThanOrEqual(maxBytes);
      expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
      kept.push(...(await lines(join(dir, name))).map((r) => Number(r.unmapped.request_id.slice(1))));
    }
    // Oldest first across the files: a contiguous run ending with the last event.
    expect(kept.length).toBeGreaterThan(0);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => n - kept.length + i));
  });

  it('rotates inside one large batch too, and keep: 0 keeps no old files', async () => {
    const log = await AuditLog.open(file, { maxBytes: 2048, keep: 0 });
    for (let i = 0; i < 100; i++) log.network(event(i));
    await log.close();
    expect(await readdir(dir)).toEqual(['audit.jsonl']);
    const records = await lines(file);
    expect((await stat(file)).size).toBeLessThanOrEqual(2048);
    expect(records.at(-1).unmapped.request_id).toBe('r99');
  });

  it('appends to the existing file after a restart, and ends a line torn by a crash', async () => {
    let log = await AuditLog.open(file);
    for (let i = 0; i < 3; i++) log.network(event(i));
    await log.close();
    log = await AuditLog.open(file);
    for (let i = 3; i < 5; i++) log.network(event(i));
    await log.close();
    expect((await lines(file)).map((r) => r.unmapped.request_id)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);

    await writeFile(file, `${await readFile(file, 'utf8')}{"class_uid":40`);
    log = await AuditLog.open(file);
    log.network(event(5));
    await log.close();
    const raw = (await readFile(file, 'utf8')).split('\n');
    expect(raw.at(-3)).toBe('{"class_uid":40');
    expect(JSON.parse(raw.at(-2)!).unmapped.request_id).toBe('r5');
  });

  it('counts events after close as dropped', async () => {
    const log = await AuditLog.open(file);
    await log.close();
    log.network(event(1));
    log.config({ change: 'approve-all', actor: 'alice', target: '*' });
    expect(log.droppedEvents).toBe(2);
    await log.close();
    expect(await readFile(file, 'utf8')).toBe('');
  });

  it('drops, counts and reports events beyond the memory bound instead of growing without limit', async () => {
    const errors: Error[] = [];
    const log = await AuditLog.open(file, { maxBufferedBytes: 10_000, onError: (e) => errors.push(e) });
    for (let i = 0; i < 100; i++) log.network(event(i));
    await log.close();
    const written = (await lines(file)).length;
    expect(written).toBeGreaterThan(0);
    expect(written + log.droppedEvents).toBe(100);
    expect(log.droppedEvents).toBeGreaterThan(0);
    expect(errors).toHaveLength(1);
  });

  it.skipIf(!existsSync('/dev/full'))('survives a full disk: counts the dropped events, reports once, never throws', async () => {
    const errors: Error[] = [];
    const log = await AuditLog.open('/dev/full', { onError: (e) => errors.push(e) });
    for (let i = 0; i < 10; i++) log.network(event(i));
    await log.flush();
    for (let i = 0; i < 5; i++) log.network(event(i));
    await log.close();
    expect(log.droppedEvents).toBe(15);
    expect(errors).toHaveLength(1);
    expect((errors[0] as NodeJS.ErrnoException).code).toBe('ENOSPC');
  });

  it('refuses nonsensical limits', async () => {
    await expect(AuditLog.open(file, { maxBytes: 0 })).rejects.toThrow(RangeError);
    await expect(AuditLog.open(file, { keep: -1 })).rejects.toThrow(RangeError);
  });
});
