// Loads the language-neutral case files under test/conformance/ (ported from upstream's tests).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';

export interface DecisionCase {
  name: string;
  request: Record<string, unknown>;
  expect: {
    outcome: string;
    policy?: string | null;
    stage?: string;
    audit?: boolean;
    /** A substring the decision's reason must contain. */
    reason_contains?: string;
    pendable?: boolean;
    /** The L7 facts, compared as a subset. */
    l7?: Record<string, unknown>;
    /** The admission's inspect object, compared as a subset. */
    inspect?: Record<string, unknown>;
  };
  /** Why the decision departs from, or extends, what upstream does. */
  note?: string;
}

export interface DecisionSuite {
  file: string;
  name: string;
  from?: string[];
  policy: string;
  /**
   * Upstream's loader refuses this policy (so does ours: the error must contain this text), but its Rego
   * tests feed the data straight to the engine; the cases then run on the policy as written.
   */
  loader_rejects?: string;
  cases: DecisionCase[];
}

export interface ValidationCase {
  file: string;
  name: string;
  format?: 'policy' | 'preset';
  yaml: string;
  expect: { valid: boolean; line?: number; col?: number; message_contains?: string; warning_contains?: string };
  /** Upstream's own wording for the same error, kept for reference. */
  upstream_message?: string;
  /** Why this case is not run (a rule that belongs to another command, or not built yet). */
  skip?: string;
}

export const CONFORMANCE_DIR = join(import.meta.dirname, '..', 'conformance');

function yamlFiles(dir: string): string[] {
  let out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out = out.concat(yamlFiles(full));
    else if (entry.endsWith('.yaml')) out.push(full);
  }
  return out;
}

export function loadDecisionSuites(): DecisionSuite[] {
  const suites: DecisionSuite[] = [];
  for (const file of yamlFiles(CONFORMANCE_DIR)) {
    const doc = parse(readFileSync(file, 'utf8'));
    for (const suite of doc?.suites ?? []) suites.push({ ...suite, file: relative(CONFORMANCE_DIR, file) });
  }
  return suites;
}

export function loadValidationCases(): ValidationCase[] {
  const cases: ValidationCase[] = [];
  for (const file of yamlFiles(CONFORMANCE_DIR)) {
    const doc = parse(readFileSync(file, 'utf8'));
    for (const c of doc?.cases ?? []) cases.push({ ...c, file: relative(CONFORMANCE_DIR, file) });
  }
  return cases;
}
