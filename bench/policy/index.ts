// bench/policy: L4 decisions/s and p99 latency at 10, 1,000 and 10,000 endpoints, indexed matcher vs a
// naive linear scan measured in the same run; then `policy eval` end to end through the real binary.
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parsePolicyText } from '../../src/core/policy/source.js';
import { decide } from '../../src/core/policy/decide.js';
import { compilePolicy } from '../../src/core/policy/matcher.js';
import type { DecisionRequest, SandboxPolicy } from '../../src/core/policy/types.js';
import { naiveMatcher } from './naive-matcher.js';
import { syntheticPolicy, syntheticRequests } from './generate.js';
import { formatTable, percentile } from '../table.js';

function measure(fn: (r: DecisionRequest) => unknown, requests: DecisionRequest[], budgetMs: number) {
  // Warm up, then run whole passes until the time budget is spent.
  for (let i = 0; i < Math.min(requests.length, 20_000); i++) fn(requests[i]);
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    for (const r of requests) fn(r);
    done += requests.length;
  }
  const elapsed = performance.now() - start;
  // Latency: time a sample of single decisions.
  const samples: number[] = [];
  for (let i = 0; i < Math.min(requests.length, 50_000); i++) {
    const t = process.hrtime.bigint();
    fn(requests[i]);
    samples.push(Number(process.hrtime.bigint() - t));
  }
  samples.sort((a, b) => a - b);
  return { perSecond: (done / elapsed) * 1000, p99ns: percentile(samples, 0.99) };
}

export async function benchPolicy(): Promise<string> {
  const sizes = [10, 1_000, 10_000];
  const inputs = sizes.map((size) => ({ size, policy: syntheticPolicy(size), requests: syntheticRequests(size, 100_000) }));
  // All of ours first, then all naive runs, so neither pollutes the other's JIT feedback.
  const oursBySize = inputs.map(({ policy, requests }) => {
    const compiled = compilePolicy(policy);
    return measure((r) => decide(compiled, r), requests, 1500);
  });
  const naiveBySize = inputs.map(({ size, policy, requests }) =>
    measure(naiveMatcher(policy), size >= 10_000 ? requests.slice(0, 5_000) : requests, 1500),
  );
  const rows: string[][] = [];
  for (const [i, { size }] of inputs.entries()) {
    const ours = oursBySize[i];
    const naive = naiveBySize[i];
    rows.push([
      String(size),
      fmt(ours.perSecond),
      `${(ours.p99ns / 1000).toFixed(2)} µs`,
      fmt(naive.perSecond),
      `${(naive.p99ns / 1000).toFixed(2)} µs`,
      `${(ours.perSecond / naive.perSecond).toFixed(1)}×`,
    ]);
  }
  let out = 'L4 decisions (in-process, 50% hits, 10% wildcard endpoints)\n';
  out += formatTable(['endpoints', 'ours/s', 'ours p99', 'naive/s', 'naive p99', 'ratio'], rows);
  out += `\n${benchLoad()}`;
  out += `\n${await benchEval()}`;
  return out;
}

/**
 * Loading the 10,000-endpoint policy (read, YAML, schema, validation, compile) in-process, beside the
 * same text through the yaml library's parse() alone — the baseline every YAML-reading loader pays.
 */
function benchLoad(): string {
  const text = stringify(syntheticPolicy(10_000));
  const cpuMs = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  const time = (fn: () => unknown) => {
    const rounds: Array<{ wall: number; cpu: number }> = [];
    for (let i = 0; i < 5; i++) {
      const w = performance.now();
      const c = cpuMs();
      fn();
      rounds.push({ wall: performance.now() - w, cpu: cpuMs() - c });
    }
    return { first: rounds[0], best: rounds.reduce((a, b) => (b.cpu < a.cpu ? b : a)) };
  };
  const ours = time(() => {
    const loaded = parsePolicyText(text, 'bench.yaml', 'policy');
    if (loaded.document?.kind !== 'policy') throw new Error('bench policy failed to load');
    compilePolicy(loaded.document.policy);
  });
  const full = time(() => {
    const loaded = parsePolicyText(text, 'bench.yaml', 'policy', { fast: false });
    compilePolicy((loaded.document as { policy: SandboxPolicy }).policy);
  });
  const baseline = time(() => parse(text));
  const row = (name: string, t: ReturnType<typeof time>) => [
    name,
    `${t.first.wall.toFixed(0)} ms`,
    `${t.first.cpu.toFixed(0)} ms`,
    `${t.best.cpu.toFixed(0)} ms`,
    `${(t.best.cpu / baseline.best.cpu).toFixed(2)}×`,
  ];
  return (
    `loading the 10,000-endpoint policy (${(text.length / 1024).toFixed(0)} KB), in-process\n` +
    formatTable(
      ['loader', 'first (wall)', 'first (cpu)', 'best (cpu)', 'vs yaml.parse'],
      [
        row('ours: read + validate + compile', ours),
        row('ours, full YAML parser path', full),
        row('baseline: yaml.parse() alone', baseline),
      ],
    )
  );
}

async function benchEval(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ost-bench-'));
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, stringify(syntheticPolicy(10_000)));
  const lines = 1_000_000;
  const inputFile = join(dir, 'requests.jsonl');
  writeFileSync(
    inputFile,
    `${syntheticRequests(10_000, lines)
      .map((r) => JSON.stringify(r))
      .join('\n')}\n`,
  );
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'openshell-term.js');
  const echo = join(dir, 'echo.mjs');
  // Baseline: a bare Node process that reads the same lines, JSON.parses each and writes one fixed
  // answer per line — the floor of any JSONL tool on this pipe.
  writeFileSync(
    echo,
    `let p='';process.stdin.setEncoding('utf8');process.stdin.on('data',(c)=>{p+=c;let o='',s=0;for(let n=p.indexOf('\\n');n>=0;n=p.indexOf('\\n',s)){JSON.parse(p.slice(s,n));o+='{"outcome":"deny"}\\n';s=n+1}p=p.slice(s);if(o&&!process.stdout.write(o)){process.stdin.pause();process.stdout.once('drain',()=>process.stdin.resume())}});`,
  );
  const base = await runLines(echo, [], inputFile, lines);
  const ours = await runLines(bin, ['policy', 'eval', '--policy', policyFile], inputFile, lines);
  const row = (name: string, r: { total: number; streaming: number; startup: number }) => [
    name,
    fmt(lines / r.streaming),
    fmt(lines / r.total),
    `${r.startup.toFixed(2)} s`,
  ];
  return (
    `policy eval end to end (real binary, 10,000-endpoint policy, ${fmt(lines)} JSONL lines through a pipe)\n` +
    formatTable(
      ['process', 'streaming lines/s', 'overall lines/s', 'start + load'],
      [row('ours: policy eval', ours), row('baseline: node JSONL echo', base)],
    )
  );
}

async function runLines(script: string, args: string[], inputFile: string, lines: number) {
  const start = performance.now();
  let firstAnswer = 0;
  const { code, count } = await new Promise<{ code: number | null; count: number }>((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    let count = 0;
    child.stdout.on('data', (d: Buffer) => {
      if (firstAnswer === 0) firstAnswer = performance.now();
      // indexOf, not a byte loop: the reader must not be the bottleneck (ours writes ~7× the echo's bytes).
      for (let at = d.indexOf(10); at !== -1; at = d.indexOf(10, at + 1)) count++;
    });
    createReadStream(inputFile).pipe(child.stdin);
    child.on('close', (c) => resolve({ code: c, count }));
  });
  const end = performance.now();
  if (code !== 0 || count !== lines) throw new Error(`${script} failed: exit ${code}, ${count}/${lines} lines`);
  return { total: (end - start) / 1000, streaming: (end - firstAnswer) / 1000, startup: (firstAnswer - start) / 1000 };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
