// bench/policy: L4 decisions/s and p99 latency at 10, 1,000 and 10,000 endpoints, indexed matcher vs a
// naive linear scan measured in the same run; then `policy eval` end to end through the real binary.
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { decide } from '../../src/core/policy/decide.js';
import { compilePolicy } from '../../src/core/policy/matcher.js';
import type { DecisionRequest } from '../../src/core/policy/types.js';
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
  out += `\n${await benchEval()}`;
  return out;
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
  const start = performance.now();
  let firstAnswer = 0;
  const { code, count } = await new Promise<{ code: number | null; count: number }>((resolve) => {
    const child = spawn(process.execPath, [bin, 'policy', 'eval', '--policy', policyFile], { stdio: ['pipe', 'pipe', 'inherit'] });
    let count = 0;
    child.stdout.on('data', (d: Buffer) => {
      if (firstAnswer === 0) firstAnswer = performance.now();
      for (const byte of d) if (byte === 10) count++;
    });
    createReadStream(inputFile).pipe(child.stdin);
    child.on('close', (c) => resolve({ code: c, count }));
  });
  const end = performance.now();
  if (code !== 0 || count !== lines) throw new Error(`policy eval failed: exit ${code}, ${count}/${lines} lines`);
  const total = (end - start) / 1000;
  const streaming = (end - firstAnswer) / 1000;
  return (
    `policy eval end to end (real binary, 10,000-endpoint policy, ${fmt(lines)} JSONL lines through a pipe):\n` +
    `  streaming ${fmt(lines / streaming)} lines/s (first answer to last)\n` +
    `  overall   ${fmt(lines / total)} lines/s (${total.toFixed(2)} s, including ${((firstAnswer - start) / 1000).toFixed(2)} s to start and load the 760 KB policy)\n`
  );
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
