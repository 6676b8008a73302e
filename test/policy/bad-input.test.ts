// Every kind of bad policy file yields a clear, located error — never a throw, a stack trace or a hang.
import { describe, expect, it } from 'vitest';
import { formatProblem, MAX_POLICY_BYTES, parsePolicyBytes, parsePolicyText } from '../../src/core/policy/source.js';

const errorsOf = (text: string) => parsePolicyText(text, 'bad.yaml').errors.map(formatProblem);

describe('bad policy input', () => {
  it('malformed YAML names line and column', () => {
    const errors = errorsOf('version: 1\nnetwork_policies:\n  a: [unclosed\n');
    expect(errors[0]).toMatch(/^bad\.yaml:\d+:\d+: invalid YAML: /);
  });
  it('duplicate keys are refused', () => {
    expect(errorsOf('version: 1\nversion: 1\n')[0]).toMatch(/bad\.yaml:2:1: invalid YAML: .*unique/i);
  });
  it('wrong types say what was expected and what came', () => {
    const errors = errorsOf('version: 1\nnetwork_policies:\n  a:\n    endpoints:\n      - host: [x]\n        port: "443"\n');
    expect(errors).toContain('bad.yaml:5:15: network_policies.a.endpoints[0].host: expected host name or pattern (a string), got a list');
    expect(errors).toContain("bad.yaml:6:15: network_policies.a.endpoints[0].port: expected port (an integer), got the string '443'");
  });
  it('unknown keys get a did-you-mean hint at the key', () => {
    const errors = errorsOf('version: 1\nnetwork_polices: {}\n');
    expect(errors[0]).toContain("bad.yaml:2:1: unknown field 'network_polices' in sandbox policy (did you mean 'network_policies'?)");
  });
  it('empty and comment-only files', () => {
    expect(errorsOf('')[0]).toContain('bad.yaml:1:1: file is empty');
    expect(errorsOf('# nothing here\n\n')[0]).toContain('file is empty');
  });
  it('a scalar or list document is not a policy', () => {
    expect(errorsOf('hello')[0]).toContain('expected sandbox policy (a mapping)');
    expect(errorsOf('- a\n- b\n')[0]).toContain('expected sandbox policy (a mapping)');
  });
  it('binary garbage and invalid UTF-8', () => {
    const garbage = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01, 0xff]);
    expect(parsePolicyBytes(garbage, 'bin.yaml').errors[0].message).toContain('not a text file');
    expect(parsePolicyBytes(Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0x28]), 'u.yaml').errors[0].message).toContain('not valid UTF-8');
  });
  it('oversized input is refused before parsing', () => {
    const big = Buffer.alloc(MAX_POLICY_BYTES + 1, 0x61);
    expect(parsePolicyBytes(big, 'big.yaml').errors[0].message).toMatch(/limited to 4\.0 MiB/);
  });
  it('deep nesting is refused', () => {
    const deep = `version: 1\nnetwork_middlewares:\n  m: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    expect(errorsOf(deep)).toEqual(['bad.yaml:3:70: nesting deeper than 64 levels; refusing to read it']);
    const flowDeep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(parsePolicyText(flowDeep, 'deep2.yaml').errors[0].message).toContain('nesting deeper than 64 levels');
    // Brackets inside quotes and comments do not count.
    const quoted = `version: 1\nnetwork_policies: {}\n# ${'['.repeat(100)}\nnetwork_middlewares: {m: "${'['.repeat(100)}"}\n`;
    expect(errorsOf(quoted)).toEqual([]);
  });
  it('an alias bomb stops with an error, not an explosion', () => {
    let bomb = 'version: 1\nnetwork_policies:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n';
    const levels = 'bcdefghij';
    let prev = 'a';
    for (const l of levels) {
      bomb += `  ${l}: &${l} [${Array(10).fill(`*${prev}`).join(', ')}]\n`;
      prev = l;
    }
    const started = process.hrtime.bigint();
    const result = parsePolicyText(bomb, 'bomb.yaml');
    expect(result.errors.length).toBeGreaterThan(0);
    expect(result.errors.some((e) => e.message.includes('alias bomb') || e.message.includes('expected'))).toBe(true);
    expect(process.hrtime.bigint() - started).toBeGreaterThan(0n); // it returned at all
  });
  it('a dangling alias is reported', () => {
    expect(errorsOf('version: 1\nnetwork_policies: *nothing\n').length).toBeGreaterThan(0);
  });
  it('several documents in one file are refused', () => {
    expect(errorsOf('version: 1\n---\nversion: 1\n')[0]).toContain('invalid YAML');
  });
});
