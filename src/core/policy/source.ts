// Reading policy and preset files: size and content guards, YAML parsing with positions, schema walk and
// semantic validation. Every problem comes back as FILE:LINE:COL: message; nothing here throws on bad input.
import { readFile, stat } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { presetSchema, sandboxPolicySchema } from './schema.js';
import type { PolicyDocument, PresetDocument, SandboxPolicy } from './types.js';

export type { PolicyDocument } from './types.js';
import { validateSemantics } from './validate.js';
import { FAIL, shapeFastValue } from './fast-shape.js';
import { readBlockYaml } from './fast-yaml.js';
import { excessiveNesting } from './nesting.js';
import { MAX_DEPTH, walkDocument, type PositionIndex } from './yaml-walk.js';

export const MAX_POLICY_BYTES = 4 * 1024 * 1024;

export interface PolicyProblem {
  file: string;
  line: number;
  col: number;
  message: string;
  severity: 'error' | 'warning';
}

export type ExpectedKind = 'policy' | 'preset' | 'any';

export interface LoadResult {
  file: string;
  document?: PolicyDocument;
  errors: PolicyProblem[];
  warnings: PolicyProblem[];
  positions: PositionIndex;
}

export function formatProblem(problem: PolicyProblem): string {
  const prefix = problem.severity === 'warning' ? 'warning: ' : '';
  return `${problem.file}:${problem.line}:${problem.col}: ${prefix}${problem.message}`;
}

export class PolicyLoadError extends Error {
  constructor(readonly problems: PolicyProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

const fileProblem = (file: string, message: string): LoadResult => ({
  file,
  errors: [{ file, line: 1, col: 1, message, severity: 'error' }],
  warnings: [],
  positions: new Map(),
});

export async function loadPolicyFile(file: string, expect: ExpectedKind = 'any'): Promise<LoadResult> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(file);
  } catch (error) {
    return fileProblem(file, `cannot read file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!info.isFile()) return fileProblem(file, 'not a regular file');
  if (info.size > MAX_POLICY_BYTES) {
    return fileProblem(file, `file is ${mib(info.size)}; policy files are limited to ${mib(MAX_POLICY_BYTES)}`);
  }
  const bytes = await readFile(file);
  return parsePolicyBytes(bytes, file, expect);
}

export function parsePolicyBytes(bytes: Uint8Array, file: string, expect: ExpectedKind = 'any'): LoadResult {
  if (bytes.length > MAX_POLICY_BYTES) {
    return fileProblem(file, `file is ${mib(bytes.length)}; policy files are limited to ${mib(MAX_POLICY_BYTES)}`);
  }
  if (bytes.includes(0)) return fileProblem(file, 'not a text file (contains NUL bytes); expected policy YAML');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fileProblem(file, 'not valid UTF-8 text; expected policy YAML');
  }
  return parsePolicyText(text, file, expect);
}

export interface ParseOptions {
  /** Try the fast reader for clean block-style policies first (default); false forces the full parser. */
  fast?: boolean;
}

export function parsePolicyText(text: string, file: string, expect: ExpectedKind = 'any', options: ParseOptions = {}): LoadResult {
  const result: LoadResult = { file, errors: [], warnings: [], positions: new Map() };
  const error = (line: number, col: number, message: string) => result.errors.push({ file, line, col, message, severity: 'error' });
  if (text.trim() === '' || /^(\s*#.*\n?)*\s*$/.test(text)) {
    error(
      1,
      1,
      'file is empty; expected a sandbox policy (version: 1, network_policies: …) or a preset (preset: {name}, network_policies: …)',
    );
    return result;
  }
  const tooDeep = excessiveNesting(text);
  if (tooDeep) {
    error(tooDeep.line, tooDeep.col, `nesting deeper than ${MAX_DEPTH} levels; refusing to read it`);
    return result;
  }
  const fast = expect !== 'preset' && options.fast !== false ? fastPolicy(text, file) : undefined;
  if (fast) return fast;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, strict: true, version: '1.2' });
  for (const e of doc.errors) {
    const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
    error(pos.line, pos.col, `invalid YAML: ${e.message.split(/ at line \d+, column \d+/)[0].split('\n')[0]}`);
  }
  if (result.errors.length > 0) return result;

  // A NemoClaw preset has a 'preset:' header and no 'version:'; with a version it is a policy (and 'preset' an unknown key).
  const isPreset = doc.has('preset') && !doc.has('version');
  if (expect === 'preset' && !isPreset) {
    error(1, 1, "not a preset file: expected a top-level 'preset: {name, description}' section");
    return result;
  }
  if (expect === 'policy' && isPreset) {
    error(1, 1, "this is a preset file ('preset:' section); pass it with --preset, not as a policy");
    return result;
  }
  const walked = walkDocument(doc, lineCounter, isPreset ? presetSchema : sandboxPolicySchema);
  result.positions = walked.positions;
  for (const issue of walked.issues) error(issue.line, issue.col, issue.message);
  if (walked.value === undefined || typeof walked.value !== 'object') {
    result.errors.sort(byPosition);
    return result;
  }
  // Semantic checks run on the partial value too, so one pass reports every problem in the file.
  const document: PolicyDocument = isPreset
    ? { kind: 'preset', preset: withDefaults(walked.value) as unknown as PresetDocument }
    : { kind: 'policy', policy: withDefaults(walked.value) as unknown as SandboxPolicy };
  for (const problem of validateSemantics(document, walked.positions, walked.rejected)) {
    const entry = { file, ...problem };
    if (problem.severity === 'error') result.errors.push(entry);
    else result.warnings.push(entry);
  }
  if (result.errors.length === 0) result.document = document;
  result.errors.sort(byPosition);
  return result;
}

/**
 * The fast path for a clean sandbox policy (see fast-yaml.ts): read, shape-checked and validated without
 * building a YAML node tree. Anything it would have to report — an error or a warning, which need their
 * positions — or any YAML it does not read sends the file through the full parser instead.
 */
function fastPolicy(text: string, file: string): LoadResult | undefined {
  const value = readBlockYaml(text);
  if (value === undefined || typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (Object.hasOwn(value, 'preset') || !Object.hasOwn(value, 'version')) return undefined;
  const shaped = shapeFastValue(value, sandboxPolicySchema);
  if (shaped === FAIL || typeof shaped !== 'object' || shaped === null) return undefined;
  const document: PolicyDocument = { kind: 'policy', policy: withDefaults(shaped) as unknown as SandboxPolicy };
  if (validateSemantics(document, new Map(), new Set()).length > 0) return undefined;
  return { file, document, errors: [], warnings: [], positions: new Map() };
}

/**
 * Fills the defaults upstream's serde definitions give absent collections, and drops entries the
 * schema walk already rejected (they are undefined), so later passes see a well-formed value.
 */
function withDefaults(value: unknown): Record<string, unknown> {
  const doc = { ...(value as Record<string, unknown>) };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  const policies: Record<string, unknown> = {};
  for (const [key, rule] of Object.entries(isObject(doc.network_policies) ? doc.network_policies : {})) {
    if (!isObject(rule)) continue;
    policies[key] = {
      ...rule,
      endpoints: (Array.isArray(rule.endpoints) ? rule.endpoints : []).filter(isObject),
      binaries: (Array.isArray(rule.binaries) ? rule.binaries : []).filter((b) => isObject(b) && typeof b.path === 'string'),
    };
  }
  doc.network_policies = policies;
  if (doc.preset !== undefined && (!isObject(doc.preset) || typeof doc.preset.name !== 'string')) doc.preset = { name: '' };
  return doc;
}

function byPosition(a: PolicyProblem, b: PolicyProblem) {
  return a.line - b.line || a.col - b.col;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
