// `policy eval`: JSON Lines in, one decision per line out, in order. Streams with backpressure, so
// memory stays flat however long the input is; a bad line answers {"outcome":"error"} and the rest go on.
import type { Command, CommandIO } from '../command.js';
import { requireString, stringList } from '../command.js';
import { decide } from '../../core/policy/decide.js';
import { loadEffectivePolicy } from '../../core/policy/effective.js';
import type { CompiledPolicy } from '../../core/policy/matcher.js';
import { parseDecisionRequest } from '../../core/policy/request.js';

export const policyEval: Command = {
  path: ['policy', 'eval'],
  usage: 'policy eval --policy FILE [--preset FILE]...',
  summary:
    'Decide JSON Lines requests from stdin ({"host","port","binary","method"?,"path"?,"query"?,"headers"?,"body"?,"resolved_ips"?}); ' +
    'write one JSON decision per line ({"outcome","policy","stage","audit","reason"}; with --l7 also "pendable"? and "l7"?).',
  flags: {
    l7: { type: 'boolean', description: 'Also report what L7 inspection saw ("l7") and whether a denial is pendable' },
    policy: { type: 'string', value: 'FILE', description: 'Sandbox policy YAML (the baseline)' },
    preset: { type: 'string', multiple: true, value: 'FILE', description: 'NemoClaw preset YAML layered on top' },
  },
  async run(args, io) {
    const { compiled } = await loadEffectivePolicy(requireString(args, 'policy'), stringList(args, 'preset'));
    await evaluateStream(compiled, io, args.flags.l7 === true);
    return 0;
  },
};

export function evaluateLine(compiled: CompiledPolicy, line: string, facts = false): string {
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch (error) {
    return JSON.stringify({ outcome: 'error', reason: `invalid JSON: ${(error as Error).message}` });
  }
  const parsed = parseDecisionRequest(input);
  if (!parsed.ok) return JSON.stringify({ outcome: 'error', reason: parsed.reason });
  const d = decide(compiled, parsed.request);
  // Hand-assembled in the contract's key order: cheaper than stringifying a fresh object per line.
  const policy = d.policy === null ? 'null' : JSON.stringify(d.policy);
  const extra = facts ? (d.pendable ? ',"pendable":true' : '') + (d.l7 ? `,"l7":${JSON.stringify(d.l7)}` : '') : '';
  return `{"outcome":"${d.outcome}","policy":${policy},"stage":"${d.stage}","audit":${d.audit},"reason":${JSON.stringify(d.reason)}${extra}}`;
}

const MAX_LINE = 1024 * 1024;

async function evaluateStream(compiled: CompiledPolicy, io: CommandIO, facts: boolean): Promise<void> {
  let pending = '';
  // After an oversized line has been answered, drop its remaining bytes up to the next newline.
  let discarding = false;
  // Decode as a stream so a multi-byte character split across chunks survives.
  (io.stdin as NodeJS.ReadStream).setEncoding?.('utf8');
  const answer = (line: string, out: string[]) => {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') return; // blank lines carry no request
    out.push(evaluateLine(compiled, line, facts));
  };
  for await (const chunk of io.stdin) {
    let text = pending + (typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8'));
    pending = '';
    if (discarding) {
      const nl = text.indexOf('\n');
      if (nl < 0) continue;
      text = text.slice(nl + 1);
      discarding = false;
    }
    const out: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      answer(text.slice(start, nl), out);
      start = nl + 1;
    }
    pending = text.slice(start);
    if (pending.length > MAX_LINE) {
      out.push(JSON.stringify({ outcome: 'error', reason: `line longer than ${MAX_LINE} bytes` }));
      pending = '';
      discarding = true;
    }
    if (out.length > 0) await write(io.stdout, `${out.join('\n')}\n`);
  }
  if (pending !== '') {
    const out: string[] = [];
    answer(pending, out);
    if (out.length > 0) await write(io.stdout, `${out.join('\n')}\n`);
  }
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(text)) resolve();
    else stream.once('drain', resolve);
  });
}
