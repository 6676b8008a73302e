// Checks a parsed YAML document against a Schema and builds the plain value in the same pass, so every
// issue carries the line and column of the node at fault. Bounded: aliases count against a node budget
// (a "billion laughs" file stops with an error), and nesting deeper than MAX_DEPTH is refused.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { didYouMean } from '../text/did-you-mean.js';
import type { Schema } from './schema-dsl.js';

export interface Issue {
  line: number;
  col: number;
  message: string;
}

/** Where each value sits in the file, by dotted path ("network_policies.github.endpoints[0].host"). */
export type PositionIndex = Map<string, { line: number; col: number }>;

export const MAX_DEPTH = 64;
export const MAX_NODES = 200_000;

class Budget {
  nodes = 0;
  exhausted = false;
}

export interface WalkResult {
  value: unknown;
  issues: Issue[];
  positions: PositionIndex;
  /** Paths whose value (or key) was rejected: later checks must not report them again as missing. */
  rejected: Set<string>;
}

export function walkDocument(doc: Document, lineCounter: LineCounter, schema: Schema): WalkResult {
  const issues: Issue[] = [];
  const positions: PositionIndex = new Map();
  const rejected = new Set<string>();
  const budget = new Budget();
  const at = (node: Node | null | undefined): { line: number; col: number } => {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };

  function visit(node: unknown, schema: Schema, path: string, depth: number, sink: Issue[]): unknown {
    if (budget.exhausted) return undefined;
    if (++budget.nodes > MAX_NODES) {
      budget.exhausted = true;
      sink.push({ ...at(node as Node), message: `document expands to more than ${MAX_NODES} nodes (alias bomb?); refusing to read it` });
      return undefined;
    }
    if (depth > MAX_DEPTH) {
      sink.push({ ...at(node as Node), message: `nesting deeper than ${MAX_DEPTH} levels; refusing to read it` });
      budget.exhausted = true;
      return undefined;
    }
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) {
        sink.push({ ...at(node), message: `alias *${node.source} refers to no anchor` });
        return undefined;
      }
      return visit(target, schema, path, depth + 1, sink);
    }
    const n = node as Node;
    positions.set(path, at(n));
    const fail = (message: string) => {
      rejected.add(path);
      sink.push({ ...at(n), message: `${label(path)}: ${message}` });
      return undefined;
    };
    const scalar = isScalar(node) ? node.value : undefined;
    const described = describe(node);

    switch (schema.kind) {
      case 'any':
        return isScalar(node) ? node.value : (node as Node & { toJSON(): unknown }).toJSON?.();
      case 'string':
        // Like serde_yml, a plain number or boolean where a string is wanted is read as its text.
        if (isPlainNonString(node)) return node.source ?? String(scalar);
        if (typeof scalar !== 'string') return fail(`expected ${schema.what} (a string), got ${described}`);
        if (schema.oneOf && !schema.oneOf.includes(scalar)) {
          return fail(
            `'${scalar}' is not a valid ${schema.what}; expected one of: ${schema.oneOf.join(', ')}${didYouMean(scalar, schema.oneOf)}`,
          );
        }
        return scalar;
      case 'int':
        if (typeof scalar !== 'number' || !Number.isInteger(scalar)) return fail(`expected ${schema.what} (an integer), got ${described}`);
        // YAML 1.2 reads 0443 as 443; upstream's parser reads it as a string. Refuse the ambiguity.
        if (isScalar(node) && /^[-+]?0\d/.test(node.source ?? ''))
          return fail(`expected ${schema.what} (an integer), got '${node.source}' (leading zero)`);
        if (scalar < schema.min || scalar > schema.max)
          return fail(`${schema.what} ${scalar} is out of range (${schema.min}–${schema.max})`);
        return scalar;
      case 'bool':
        if (typeof scalar !== 'boolean') return fail(`expected ${schema.what} (true or false), got ${described}`);
        return scalar;
      case 'either': {
        for (const option of schema.options) {
          const scratch: Issue[] = [];
          const value = visit(node, option, path, depth, scratch);
          if (scratch.length === 0) return value;
        }
        return fail(`expected ${schema.what}, got ${described}`);
      }
      case 'array': {
        if (isEmptyValue(node)) return [];
        if (!isSeq(node)) return fail(`expected ${schema.what} (a list), got ${described}`);
        return node.items.map((item, i) => visit(item, schema.items, `${path}[${i}]`, depth + 1, sink));
      }
      case 'map':
      case 'object': {
        if (schema.kind === 'object' && isScalar(node) && node.value === null) return undefined; // absent optional section
        if (schema.kind === 'map' && isEmptyValue(node)) return {}; // "key:" with nothing after it
        if (!isMap(node)) return fail(`expected ${schema.what} (a mapping), got ${described}`);
        const out: Record<string, unknown> = Object.create(null);
        for (const pair of node.items) {
          if (!isPair(pair)) continue;
          const keyNode = pair.key as Node;
          const key = isScalar(keyNode) ? keyNode.value : undefined;
          if (typeof key !== 'string' && typeof key !== 'number') {
            sink.push({ ...at(keyNode), message: `${label(path)}: keys must be strings` });
            continue;
          }
          const name = String(key);
          const childPath = path === '' ? name : `${path}.${name}`;
          positions.set(`${childPath}#key`, at(keyNode));
          if (schema.kind === 'object') {
            const field = schema.fields[name];
            if (!field) {
              rejected.add(childPath);
              const known = Object.keys(schema.fields);
              sink.push({
                ...at(keyNode),
                message: `unknown field '${name}' in ${schema.what}${didYouMean(name, known)}; expected one of: ${known.join(', ')}`,
              });
              continue;
            }
            if (pair.value === null || pair.value === undefined) {
              if (field.kind === 'array') out[name] = [];
              else if (field.kind === 'map') out[name] = {};
              else if (field.kind !== 'object')
                sink.push({ ...at(keyNode), message: `${label(childPath)}: expected ${field.what}, got nothing` });
              continue;
            }
            out[name] = visit(pair.value, field, childPath, depth + 1, sink);
          } else {
            if (pair.value === null || pair.value === undefined) {
              sink.push({ ...at(keyNode), message: `${label(childPath)}: expected ${schema.values.what}, got nothing` });
              continue;
            }
            out[name] = visit(pair.value, schema.values, childPath, depth + 1, sink);
          }
        }
        if (schema.kind === 'object') {
          for (const required of schema.required ?? []) {
            if (!(required in out) && !node.items.some((p) => isPair(p) && isScalar(p.key) && p.key.value === required)) {
              sink.push({ ...at(n), message: `${label(path)}: missing required field '${required}'` });
            }
          }
        }
        return { ...out };
      }
    }
  }

  if (doc.contents === null || isEmptyValue(doc.contents)) {
    // "---" alone: a document with no content is an empty mapping, so required fields are missing.
    const required = schema.kind === 'object' ? (schema.required ?? []) : [];
    for (const field of required) issues.push({ line: 1, col: 1, message: `document: missing required field '${field}'` });
    return { value: {}, issues, positions, rejected };
  }
  const value = visit(doc.contents, schema, '', 0, issues);
  return { value, issues, positions, rejected };
}

/** "key:" with nothing after it (as opposed to an explicit null or ~). */
function isEmptyValue(node: unknown): boolean {
  return isScalar(node) && node.value === null && (node.source === '' || node.source === undefined) && !(node as { tag?: string }).tag;
}

function isPlainNonString(node: unknown): node is { source?: string; value: unknown } {
  return isScalar(node) && (typeof node.value === 'number' || typeof node.value === 'boolean') && node.type === 'PLAIN';
}

function label(path: string): string {
  return path === '' ? 'document' : path;
}

function describe(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'string') return `the string '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
    return `${typeof v} ${String(v)}`;
  }
  return 'something else';
}
