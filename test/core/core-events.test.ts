// The core keeps its own counsel: every change of a request's state goes through EnforcementCore and is
// announced by exactly one request event — whoever caused it (the operator, a preset, a promote, a merge,
// a timer, a client going away). Recorded on a real core with its real preset store and merged layer.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import type { CoreEvents } from '../../src/core/engine/core-events.js';
import { MergeManager } from '../../src/core/merges/merge-manager.js';
import { MergedRules } from '../../src/core/merges/merged-rules.js';
import { PresetManager } from '../../src/core/presets/preset-manager.js';
import { PresetStore } from '../../src/core/presets/preset-store.js';

const CURL = '/usr/bin/curl';
const REQUEST_EVENTS = ['request.pending', 'request.updated', 'request.decided'] as const;

let dir: string;
let core: EnforcementCore;
let presets: PresetManager;
let merges: MergeManager;
let events: Array<{ name: keyof CoreEvents; id?: string; status?: string; held?: number; kind?: string }>;

async function setup(options: Partial<ConstructorParameters<typeof EnforcementCore>[0]> = {}) {
  const store = await PresetStore.open(dir);
  const merged = await MergedRules.open(dir);
  core = new EnforcementCore({
    baseline: { version: 1, network_policies: {} },
    presetLayers: () => [...store.layers(), merged.layer()],
    holdTimeoutMs: 60_000,
    ...options,
  });
  presets = new PresetManager(store, core);
  merges = new MergeManager(merged, core);
  events = [];
  for (const name of REQUEST_EVENTS) core.on(name, (r) => events.push({ name, id: r.id, status: r.status, held: r.held }));
  core.on('notice', (n) => events.push({ name: 'notice', kind: n.kind }));
}

/** Request events since the last call. */
function drain() {
  return events.splice(0);
}

/** One held attempt; resolves with the verdict when it is decided. */
function attempt(host: string, options: { signal?: AbortSignal; path?: string } = {}) {
  return core.evaluate({ host, port: 443, binary: CURL, method: 'GET', path: options.path ?? '/', signal: options.signal });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ost-events-'));
  await setup();
});
afterEach(async () => {
  vi.useRealTimers();
  await core.shutdown();
  await rm(dir, { recursive: true, force: true });
});

const tick = () => new Promise((r) => setImmediate(r));

describe('one event per change of a request', () => {
  it('a new attempt, a repeat, an approval', async () => {
    const first = attempt('a.test');
    await tick();
    expect(drain()).toEqual([{ name: 'request.pending', id: 'r1', status: 'pending', held: 1 }]);
    const second = attempt('a.test');
    await tick();
    expect(drain()).toEqual([{ name: 'request.updated', id: 'r1', status: 'pending', held: 2 }]);
    core.approve('r1');
    expect(drain()).toEqual([{ name: 'request.decided', id: 'r1', status: 'approved', held: 0 }]);
    expect((await first).allowed).toBe(true);
    expect((await second).allowed).toBe(true);
    expect(drain()).toEqual([]);
  });

  it('reject, undo, and approve-all', async () => {
    void attempt('a.test');
    void attempt('b.test');
    void attempt('c.test');
    await tick();
    drain();
    core.reject('r1', 'no');
    expect(drain()).toEqual([{ name: 'request.decided', id: 'r1', status: 'rejected', held: 0 }]);
    core.undo('r1');
    expect(drain()).toEqual([{ name: 'request.updated', id: 'r1', status: 'pending', held: 0 }]);
    const { approved } = core.approveAll();
    expect(approved.map((r) => r.id).sort()).toEqual(['r1', 'r2', 'r3']);
    expect(drain().sort((x, y) => x.id!.localeCompare(y.id!))).toEqual([
      { name: 'request.decided', id: 'r1', status: 'approved', held: 0 },
      { name: 'request.decided', id: 'r2', status: 'approved', held: 0 },
      { name: 'request.decided', id: 'r3', status: 'approved', held: 0 },
    ]);
  });

  it('an approval that lapses', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    void attempt('a.test');
    await vi.advanceTimersByTimeAsync(0);
    drain();
    core.approve('r1', { kind: 'minutes', minutes: 10 });
    drain();
    await vi.advanceTimersByTimeAsync(10 * 60_000 + 1);
    expect(drain()).toEqual([{ name: 'request.updated', id: 'r1', status: 'expired', held: 0 }]);
  });

  it('a hold that times out, and a held client that goes away', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const timedOut = attempt('a.test');
    const gone = new AbortController();
    const left = attempt('a.test', { signal: gone.signal });
    await vi.advanceTimersByTimeAsync(0);
    drain();
    gone.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(drain()).toEqual([{ name: 'request.updated', id: 'r1', status: 'pending', held: 1 }]);
    expect((await left).allowed).toBe(false);
    await vi.advanceTimersByTimeAsync(60_001);
    expect(drain()).toEqual([{ name: 'request.updated', id: 'r1', status: 'pending', held: 0 }]);
    expect((await timedOut).allowed).toBe(false);
  });

  it('promote: the request is decided by the core, with its event', async () => {
    const held = attempt('promoted.test');
    await tick();
    drain();
    await presets.promote('r1', { name: 'promoted' });
    expect(drain()).toEqual([{ name: 'request.decided', id: 'r1', status: 'approved', held: 0 }]);
    expect((await held).allowed).toBe(true);
  });

  it('a preset that now covers held requests releases them, with their events', async () => {
    const NODE = '/usr/bin/node';
    void core.evaluate({ host: 'pypi.org', port: 443, binary: NODE, method: 'GET', path: '/simple/' });
    const held = core.evaluate({ host: 'files.pythonhosted.org', port: 443, binary: NODE });
    void attempt('other.test');
    await tick();
    drain();
    await presets.add({ name: 'pypi' });
    const decided = drain();
    expect(decided.every((e) => e.name === 'request.decided' && e.status === 'approved')).toBe(true);
    expect(decided.map((e) => e.id).sort()).toEqual(['r1', 'r2']);
    expect((await held).allowed).toBe(true);
  });

  it('a merge that now covers a held request releases it, with its event', async () => {
    const held = attempt('merged.test');
    await tick();
    drain();
    await merges.apply([
      {
        add_rule: {
          rule_name: 'merged',
          rule: { name: 'merged', endpoints: [{ host: 'merged.test', port: 443 }], binaries: [{ path: CURL }] },
        },
      },
    ]);
    expect(drain()).toEqual([{ name: 'request.decided', id: 'r1', status: 'approved', held: 0 }]);
    expect((await held).allowed).toBe(true);
  });

  it('the inbox filling up is one notice, however many requests are refused', async () => {
    await core.shutdown();
    await setup({ maxPending: 2, holdTimeoutMs: 0 });
    for (let i = 0; i < 50; i++) await attempt(`h${i}.test`);
    const notices = drain().filter((e) => e.name === 'notice');
    expect(notices).toEqual([{ name: 'notice', kind: 'inbox-full' }]);
    expect(core.health().inbox).toMatchObject({ pending: 2, maxPending: 2, refused: 48 });
  });
});

describe('the inbox is the core’s own', () => {
  it('is not reachable from outside', () => {
    expect('inbox' in core).toBe(false);
    expect(Object.keys(core)).not.toContain('inbox');
  });
});
