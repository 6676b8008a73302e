// Runs every ported upstream decision case through our engine: same policy, same request, same verdict.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/policy/decide.js';
import { compilePolicy } from '../../src/core/policy/matcher.js';
import { parseDecisionRequest } from '../../src/core/policy/request.js';
import { formatProblem, parsePolicyText } from '../../src/core/policy/source.js';
import type { SandboxPolicy } from '../../src/core/policy/types.js';
import { parse } from 'yaml';
import { loadDecisionSuites, loadValidationCases } from '../helpers/conformance.js';

const suites = loadDecisionSuites();
const validationCases = loadValidationCases();

describe('conformance corpus', () => {
  it('holds a substantial share of upstream cases', () => {
    const total = suites.reduce((n, s) => n + s.cases.length, 0);
    expect(total).toBeGreaterThanOrEqual(150);
    expect(validationCases.length).toBeGreaterThanOrEqual(50);
  });
});

for (const suite of suites) {
  describe(`${suite.file} › ${suite.name}`, () => {
    const loaded = parsePolicyText(suite.policy, `${suite.file}#${suite.name}`, 'policy');
    if (suite.loader_rejects !== undefined) {
      it(`the loader refuses it (${suite.loader_rejects})`, () => {
        expect(loaded.errors.map(formatProblem).join('\n')).toContain(suite.loader_rejects);
      });
    } else {
      it('policy loads', () => {
        expect(loaded.errors.map(formatProblem)).toEqual([]);
      });
    }
    const policy =
      suite.loader_rejects !== undefined
        ? (parse(suite.policy) as SandboxPolicy)
        : loaded.document?.kind === 'policy'
          ? loaded.document.policy
          : undefined;
    if (!policy) return;
    const compiled = compilePolicy(policy);
    for (const c of suite.cases) {
      it(c.name, () => {
        const parsed = parseDecisionRequest(c.request);
        if (!parsed.ok) throw new Error(`bad request in corpus: ${parsed.reason}`);
        const decision = decide(compiled, parsed.request);
        const { reason_contains, pendable, l7, inspect, ...rest } = c.expect;
        const got: Record<string, unknown> = { outcome: decision.outcome };
        if ('policy' in rest) got.policy = decision.policy;
        if ('stage' in rest) got.stage = decision.stage;
        if ('audit' in rest) got.audit = decision.audit;
        expect({ ...got, reason: decision.reason }).toMatchObject(rest);
        if (reason_contains !== undefined) expect(decision.reason).toContain(reason_contains);
        if (pendable !== undefined) expect(decision.pendable === true, `pendable (${decision.reason})`).toBe(pendable);
        if (l7 !== undefined) expect(decision.l7).toMatchObject(l7);
        if (inspect !== undefined) expect(decision.inspect).toMatchObject(inspect);
      });
    }
  });
}

describe('validation corpus', () => {
  for (const c of validationCases) {
    const title = `${c.file} › ${c.name}`;
    if (c.skip) {
      it.skip(`${title} — ${c.skip}`, () => {});
      continue;
    }
    it(title, () => {
      const result = parsePolicyText(c.yaml, 'case.yaml', c.format === 'preset' ? 'preset' : 'any');
      const errors = result.errors;
      if (c.expect.valid) {
        expect(errors.map(formatProblem)).toEqual([]);
        if (c.expect.warning_contains) {
          expect(result.warnings.map((w) => w.message).join('\n')).toContain(c.expect.warning_contains);
        }
        return;
      }
      expect(errors.length).toBeGreaterThan(0);
      const match = errors.find(
        (e) =>
          (c.expect.line === undefined || e.line === c.expect.line) &&
          (c.expect.col === undefined || e.col === c.expect.col) &&
          (c.expect.message_contains === undefined || e.message.includes(c.expect.message_contains)),
      );
      expect(match, `no error matching ${JSON.stringify(c.expect)} among:\n${errors.map(formatProblem).join('\n')}`).toBeDefined();
    });
  }
});
