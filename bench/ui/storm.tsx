// bench/ui: the console under a storm of 2,000 log lines/s plus 100 new pending requests/s from a real
// core, rendered by Ink (ink-testing-library's stdout), with keys pressed throughout. Compares the
// buffered store (flush every 50 ms) against one store update per event, in the same run.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { render } from 'ink-testing-library';
import { ConsoleApp } from '../../components/ConsoleApp.js';
import { EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { EmbeddedGateway } from '../../src/gateway/embedded/embedded-gateway.js';
import type { Standalone } from '../../src/gateway/embedded/standalone.js';
import { createConsoleStore } from '../../src/store/console-store.js';
import { ConsoleProvider } from '../../src/store/context.js';
import { EventBuffer } from '../../src/store/event-buffer.js';
import { formatTable, percentile } from '../table.js';

interface Result {
  flushP99: number;
  flushes: number;
  fps: number;
  keyP50: number;
  keyP99: number;
  lagP99: number;
  rssMiB: number;
}

async function storm(buffered: boolean, seconds: number): Promise<Result> {
  const core = new EnforcementCore({ baseline: { version: 1, network_policies: {} }, holdTimeoutMs: 0 });
  const standalone = { core, proxyAddress: 'bench', stop: async () => core.shutdown() } as unknown as Standalone;
  const gateway = new EmbeddedGateway(standalone, 'bench');
  const store = createConsoleStore(gateway.info);
  const flushTimes: number[] = [];
  const apply = (events: Parameters<ReturnType<typeof store.getState>['apply']>[0]) => {
    const t = performance.now();
    store.getState().apply(events);
    flushTimes.push(performance.now() - t);
  };
  const buffer = new EventBuffer(apply, 50);
  gateway.subscribe((e) => (buffered ? buffer.push(e) : apply([e])));
  await gateway.start();
  const ink = render(
    <ConsoleProvider store={store} gateway={gateway}>
      <ConsoleApp onQuit={() => {}} theme="dark" />
    </ConsoleProvider>,
  );
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  let frames = 0;
  const stdout = ink.stdout as unknown as { write(frame: string): void };
  const write = stdout.write.bind(stdout);
  stdout.write = (frame: string) => {
    frames++;
    write(frame);
  };
  let rss = 0;
  const keyLatencies: number[] = [];
  let n = 0;
  const started = performance.now();
  // Producers: logs at 2,000/s and requests at 100/s, in 10 ms ticks.
  const producer = setInterval(() => {
    for (let i = 0; i < 20; i++) core.log('info', 'agent', `storm line ${n++} GET /api/v1/items?page=${n}`);
    if (n % 200 === 0) void core.evaluate({ host: `h${n}.storm.test`, port: 443, binary: '/usr/bin/node' });
  }, 10);
  // The operator: '?' every 100 ms, toggling the help overlay. Latency is measured to the first frame
  // that shows the key's effect (help appeared or disappeared), not merely to the next frame.
  let helpOpen = false;
  let waiting = false;
  const keys = setInterval(() => {
    rss = Math.max(rss, process.memoryUsage().rss);
    if (waiting) return;
    waiting = true;
    const want = !helpOpen;
    const t = performance.now();
    ink.stdin.write('?');
    const poll = setInterval(() => {
      const shows = (ink.lastFrame() ?? '').includes('Keys — ');
      if (shows === want) {
        keyLatencies.push(performance.now() - t);
        helpOpen = want;
        waiting = false;
        clearInterval(poll);
      } else if (performance.now() - t > 2000) {
        waiting = false;
        clearInterval(poll);
      }
    }, 1);
  }, 100);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(producer);
  clearInterval(keys);
  lag.disable();
  const elapsed = (performance.now() - started) / 1000;
  ink.unmount();
  buffer.stop();
  core.shutdown();
  const sortedFlush = [...flushTimes].sort((a, b) => a - b);
  const sortedKeys = [...keyLatencies].sort((a, b) => a - b);
  return {
    flushP99: percentile(sortedFlush, 0.99),
    flushes: flushTimes.length / elapsed,
    fps: frames / elapsed,
    keyP50: percentile(sortedKeys, 0.5),
    keyP99: percentile(sortedKeys, 0.99),
    lagP99: lag.percentile(99) / 1e6,
    rssMiB: rss / (1024 * 1024),
  };
}

export async function benchUiOne(buffered: boolean) {
  return storm(buffered, 3);
}

export async function benchUi(): Promise<string> {
  const seconds = 5;
  const buffered = await storm(true, seconds);
  const naive = await storm(false, seconds);
  const row = (name: string, r: Result) => [
    name,
    r.flushes.toFixed(0),
    r.flushP99.toFixed(2),
    r.fps.toFixed(1),
    r.keyP50.toFixed(1),
    r.keyP99.toFixed(1),
    r.lagP99.toFixed(1),
    r.rssMiB.toFixed(0),
  ];
  return (
    `Console under a storm: 2,000 log lines/s + 100 pending requests/s for ${seconds} s; '?' pressed every 100 ms, latency to the frame showing its effect (Ink, real core, React production build)\n` +
    formatTable(
      ['store updates', 'updates/s', 'update p99 ms', 'frames/s', 'key→frame p50 ms', 'p99 ms', 'loop lag p99 ms', 'RSS MiB'],
      [row('buffered, 50 ms flush', buffered), row('one per event (baseline)', naive)],
    ) +
    `key→frame p99: buffered is ${(naive.keyP99 / Math.max(0.1, buffered.keyP99)).toFixed(1)}× faster than one update per event\n`
  );
}
